import Foundation
import Hummingbird
import HummingbirdWebSocket
import LivePipeline
import Logging
import NeuralNetwork
import Synchronization
import ViewerCore

/// Where and how `deepvis serve` listens.
public struct WebServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port = 8080
    /// Browsers served at once; more are refused (HTTP 503 on the WebSocket upgrade).
    public var maxClients = 16
    /// The access rule; `AccessPolicy.forHost(host)` unless set.
    public var access: AccessPolicy

    /// Listens on `host:port`, requiring a fresh token unless `host` is loopback.
    public init(host: String = "127.0.0.1", port: Int = 8080, maxClients: Int = 16, access: AccessPolicy? = nil) {
        self.host = host
        self.port = port
        self.maxClients = maxClients
        self.access = access ?? AccessPolicy.forHost(host)
    }
}

/// Totals over the server's life, for `--stats-json`, tests and the benchmark.
public struct WebStatistics: Sendable, Equatable {
    public var clients = 0
    public var framesSent = 0
    public var bytesSent = 0
    public var skippedFrames = 0
    public var largestMessage = 0
}

/// The browser front-end (DESIGN §8): the page's assets over HTTP, and one WebSocket per browser carrying that
/// browser's frames out and its commands in. Every browser is one `ViewerState`; all share one `LivePipeline`
/// (whose main selection — and so its gradient ascent — follows the browser that acted last; the others' units are
/// probed as extras).
public final class WebViewerServer: Sendable {
    public let pipeline: LivePipeline
    public let configuration: WebServerConfiguration
    let layers: [LayerInfo]
    let composer: FrameComposer
    let assets: PageAssets
    private let initialState: ViewerState
    private let modelName: String
    private let sessions = Mutex<(byID: [Int: WebSession], nextID: Int, clock: Int)>(([:], 1, 0))
    private let totals = Mutex(WebStatistics())

    /// A server over a started `pipeline`; each new browser starts from `initialState`.
    public init(pipeline: LivePipeline, configuration: WebServerConfiguration, initialState: ViewerState,
                modelName: String = "") throws {
        self.pipeline = pipeline
        self.configuration = configuration
        self.initialState = initialState
        self.modelName = modelName
        layers = pipeline.layers.map { LayerInfo(name: $0.name, channels: $0.channels, height: $0.height, width: $0.width) }
        composer = FrameComposer(pipeline: pipeline, layers: layers)
        assets = try PageAssets.load()
    }

    /// The address to open, with the token when one is required.
    public func url(port: Int) -> String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(port)/" + (configuration.access.token.map { "?token=\($0)" } ?? "")
    }

    /// Serves until cancelled (or, with `handlesSignals`, SIGINT/SIGTERM); `onRunning` gets the bound port.
    public func run(handlesSignals: Bool = true, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.add(middleware: AccessMiddleware(policy: configuration.access))
        assets.register(on: router, policy: configuration.access)
        router.ws("/ws", shouldUpgrade: { [self] request, _ in
            guard AccessPolicy.originAllowed(origin: request.headers[.origin], host: request.head.authority) else {
                throw HTTPError(.forbidden, message: "WebSocket Origin does not match this server")
            }
            guard clientCount < configuration.maxClients else {
                throw HTTPError(.serviceUnavailable, message: "too many clients (--max-clients \(configuration.maxClients))")
            }
            return .upgrade([:])
        }, onUpgrade: { [self] inbound, outbound, _ in
            await serve(inbound: inbound, outbound: outbound)
        })
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: WebSocketServerConfiguration(maxFrameSize: 1 << 16))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : []) }
            group.addTask { [self] in await pump() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Hummingbird's own log: only what needs attention (its info lines and the errors it logs when a run is
    /// cancelled rather than shut down by signal would otherwise mix with the command's output).
    private static var logger: Logger {
        var logger = Logger(label: "deepvis-serve")
        logger.logLevel = .critical
        return logger
    }

    /// Browsers connected now.
    public var clientCount: Int { sessions.withLock { $0.byID.count } }

    /// Figures so far (live sessions plus those that left).
    public var statistics: WebStatistics {
        var s = totals.withLock { $0 }
        for session in sessions.withLock({ Array($0.byID.values) }) {
            let m = session.state.withLock { $0 }
            s.framesSent += m.framesSent
            s.bytesSent += m.bytesSent
            s.skippedFrames += skipped(m)
        }
        s.clients = clientCount
        return s
    }

    /// Figures of each connected browser, by client id (the id its hello message carries).
    public var clientStatistics: [Int: WebStatistics] {
        sessions.withLock { Array($0.byID.values) }.reduce(into: [:]) { result, session in
            let m = session.state.withLock { $0 }
            result[session.id] = WebStatistics(clients: 1, framesSent: m.framesSent, bytesSent: m.bytesSent,
                                               skippedFrames: skipped(m), largestMessage: 0)
        }
    }

    /// Snapshots a browser missed: those counted when its messages were composed, plus those published since the last
    /// one it was sent (all but the newest, which may still go out). A browser that stopped reading blocks its write,
    /// so nothing is composed for it and the first count alone would stay frozen.
    private func skipped(_ m: WebSession.Mutable) -> Int {
        guard let newest = pipeline.latestSnapshot?.sequence, m.sent.snapshotSequence > 0, !m.view.frozen, !m.view.paused else {
            return m.skippedFrames
        }
        return m.skippedFrames + max(newest - m.sent.snapshotSequence - 1, 0)
    }

    // MARK: one browser

    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        guard let session = join() else {
            try? await outbound.close(.policyViolation, reason: "too many clients")
            return
        }
        defer { leave(session) }
        try? await outbound.write(.text(hello(session)))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await _ in session.wakes {
                    guard let bytes = composer.compose(for: session, clients: clientCount) else { continue }
                    totals.withLock { $0.largestMessage = max($0.largestMessage, bytes.count) }
                    do { try await outbound.write(.binary(ByteBuffer(bytes: bytes))) } catch { break }
                }
            }
            session.poke()
            do {
                for try await message in inbound.messages(maxSize: ClientMessage.maxBytes) {
                    switch message {
                    case .text(let text): handle(text, from: session)
                    case .binary: session.reportError("binary messages are not accepted")
                    }
                }
            } catch {
                // Too long a message or a broken connection: this browser is done; nobody else notices.
            }
            session.finish()
            group.cancelAll()
        }
    }

    private func join() -> WebSession? {
        let session = sessions.withLock { s -> WebSession? in
            guard s.byID.count < configuration.maxClients else { return nil }
            s.clock += 1
            // A newcomer has not acted yet: it does not take the pipeline's main selection (and its ascent) from others.
            let session = WebSession(id: s.nextID, view: initialState, clock: 0)
            s.byID[s.nextID] = session
            s.nextID += 1
            return session
        }
        if session != nil { followBrowsers() }
        return session
    }

    private func leave(_ session: WebSession) {
        session.finish()
        let m = session.state.withLock { $0 }
        totals.withLock {
            $0.framesSent += m.framesSent
            $0.bytesSent += m.bytesSent
            $0.skippedFrames += skipped(m)
        }
        sessions.withLock { _ = $0.byID.removeValue(forKey: session.id) }
        followBrowsers()
    }

    private func handle(_ text: String, from session: WebSession) {
        let current = session.state.withLock { $0.view.layerIndex }
        do throws(ClientMessageError) {
            let commands = try ClientMessage.commands(from: text, layers: layers, currentLayer: current)
            let clock = sessions.withLock { s -> Int in s.clock += 1; return s.clock }
            for command in commands {
                if command == .cycleSource { pipeline.cycleSource() }
                session.state.withLock { s in
                    let context = ViewerContext(layers: layers, columns: LayerTiles.columns(layers[s.view.layerIndex].channels),
                                                historyCount: historyCount(of: s.view))
                    s.view.apply(command, in: context)
                    s.lastAction = clock
                }
            }
            followBrowsers()
        } catch {
            session.reportError(error.message)
        }
        session.poke()
    }

    /// History entries of the ascent `view`'s unit has (0 unless the pipeline's ascent is on that unit).
    private func historyCount(of view: ViewerState) -> Int {
        guard let a = pipeline.latestAscent, a.selection.layerIndex == view.layerIndex, a.selection.channel == view.selectedUnit
        else { return 0 }
        return a.history.count
    }

    /// Points the pipeline at what the browsers show: the latest actor's unit is the main
    /// selection, every other browser's unit an extra probe, every browser's layer a watched layer.
    private func followBrowsers() {
        let views = sessions.withLock { s in s.byID.values.map { $0.state.withLock { ($0.lastAction, $0.view) } } }
            .sorted { $0.0 > $1.0 }.map(\.1)
        let selections = views.map { UnitSelection(layerIndex: $0.layerIndex, channel: $0.selectedUnit, mode: $0.backwardMode) }
        pipeline.update { c in
            if let first = selections.first { c.selection = first }
            c.extraProbes = Set(selections.dropFirst())
            c.watchedLayers = Set(views.map(\.layerIndex))
        }
    }

    /// Wakes every browser's sender when the pipeline publishes (polled every 10 ms: cheaper
    /// than a thread per browser, and a browser that is still writing just collapses the wake-ups).
    private func pump() async {
        var last = -1
        var ticks = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
            ticks += 1
            let version = pipeline.publishVersion
            guard version != last || ticks % 50 == 0 else { continue }
            last = version
            for session in sessions.withLock({ Array($0.byID.values) }) { session.poke() }
        }
    }

    private func hello(_ session: WebSession) -> String {
        let object: [String: Any] = [
            "type": "hello", "model": modelName, "client": session.id,
            "layers": layers.map { ["name": $0.name, "channels": $0.channels, "height": $0.height, "width": $0.width] },
            "keys": KeyTable.standard.helpLines.map { [$0.keys, $0.help] },
            "refusedKeys": KeyTable.standard.bindings.filter { ClientMessage.refusedCommands.contains($0.command) }.map(\.key),
            "modes": BackwardMode.allCases.map(\.rawValue),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Refuses every request that lacks the access token (when one is required), before any route runs.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: AccessPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard policy.admits(queryToken: request.uri.queryParameters.get("token"), cookieHeader: request.headers[.cookie]) else {
            throw HTTPError(.unauthorized, message: "access token required: open the URL deepvis serve printed")
        }
        return try await next(request, context)
    }
}
