import ArgumentParser
import Dispatch
import Foundation
import LivePipeline
import NeuralNetwork
import Synchronization
import ViewerCore
import Visualization
import WebViewer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the live viewer to web browsers (HTTP + WebSocket): one pipeline, many viewers.",
        discussion: """
        Sources as for `deepvis live` (--camera, --video [--loop], --images; with none: the first camera, else the \
        sample video). Prints the URL to open. Binds 127.0.0.1 unless --host says otherwise; on any other address a \
        random access token is required and is part of the printed URL. Each browser has its own layer, unit and \
        modes; all share the forward pass, the backward images and the gradient ascent of each unit.
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sources: SourceOptions
    @Option(help: "Layer each browser starts on (default: the model manifest's default layer).") var layer: String?
    @Option(help: "Address to listen on (anything but loopback requires the printed token).") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8080
    @Option(help: "Browsers served at once.") var maxClients = 16
    @Option(help: "Gradient-ascent preset for selected units (default: the model's best; see `deepvis optimize --list-presets`).")
    var ascent: String?
    @Option(help: "Gradient-ascent steps per unit.") var ascentIterations = 300
    @Flag(help: "Don't run gradient ascent (saves CPU for the forward pass).") var noAscent = false
    @Option(help: "Stop after this many seconds (benchmarks, tests).") var seconds: Double?
    @Option(help: "Write the measured statistics as JSON to this file at exit.") var statsJson: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...1024).contains(maxClients) else { throw ValidationError("--max-clients must be between 1 and 1024") }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
        try OptionRanges.check(ascentIterations, OptionRanges.ascentIterations, "--ascent-iterations")
        if let seconds, !(seconds > 0 && seconds.isFinite) { throw ValidationError("--seconds must be a positive number") }
    }

    func run() throws {
        checkAddressSpace(threads: LivePipeline.computingThreads * (modelOptions.threadCount ?? 1))
        let model: (graph: Graph, info: ModelInfo, path: String)
        do { model = try modelOptions.load() } catch { fail("cannot load the model: \(error)") }
        let sources: [LiveSource]
        do {
            sources = try LiveSourceChoice.resolve(self.sources, pacing: .realTime).sources
        } catch let error as LiveError {
            fail(error.description)
        }
        let layers = LiveRunner.layers(graph: model.graph, info: model.info, including: layer)
        let fallback = layers.last { $0.height * $0.width > 1 }?.name ?? layers.first?.name ?? ""
        let name = layer ?? model.info.defaultLayer ?? fallback
        guard let layerIndex = layers.firstIndex(where: { $0.name == name }) else {
            fail("unknown layer '\(name)'; layers: \(layers.map(\.name).joined(separator: " "))")
        }
        var configuration = LivePipeline.Configuration()
        configuration.computeThreads = modelOptions.threadCount ?? 1
        var controls = PipelineControls(selection: UnitSelection(layerIndex: layerIndex, channel: 0))
        // One ascent run at a time, on the unit of the browser that acted last; shared by every browser on that unit.
        controls.ascent = try AscentSettings.live(preset: ascent, iterations: ascentIterations, off: noAscent, info: model.info)
        let pipeline = LivePipeline(graph: model.graph, info: model.info, layers: layers, sources: sources,
                                    controls: controls, configuration: configuration)
        let server: WebViewerServer
        do {
            server = try WebViewerServer(pipeline: pipeline, configuration: WebServerConfiguration(host: host, port: port, maxClients: maxClients),
                                         initialState: ViewerState(layerIndex: layerIndex, selectedUnit: 0),
                                         modelName: model.info.name)
        } catch {
            fail("\(error)")
        }
        pipeline.start()
        let failure = serveBlocking(server)
        pipeline.stopAndJoin()
        report(server, pipeline)
        if let failure { fail("cannot serve on \(host):\(port): \(failure)") }
    }

    /// Runs the async server from this synchronous command until a signal or --seconds; returns an error text.
    private func serveBlocking(_ server: WebViewerServer) -> String? {
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        let seconds = seconds
        Task.detached {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await server.run { port in
                            FileHandle.standardOutput.write(Data("deepvis serve: open \(server.url(port: port))\n".utf8))
                        }
                    }
                    if let seconds {
                        group.addTask { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } catch is CancellationError {
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            done.signal()
        }
        done.wait()
        return failure.withLock { $0 }
    }

    private func report(_ server: WebViewerServer, _ pipeline: LivePipeline) {
        let web = server.statistics
        let live = pipeline.statistics
        print("serve: forward \(String(format: "%.1f", live.forwardFPS)) fps · \(web.framesSent) messages, "
              + "\(web.bytesSent / 1024) KiB sent · skipped \(web.skippedFrames) · largest message \(web.largestMessage / 1024) KiB")
        guard let path = statsJson else { return }
        let stats: [String: Double] = [
            "forward_passes": Double(live.forwardPasses), "forward_ms": live.forwardMilliseconds,
            "messages_sent": Double(web.framesSent), "bytes_sent": Double(web.bytesSent),
            "skipped_frames": Double(web.skippedFrames), "largest_message": Double(web.largestMessage),
            "rss_mb": residentMegabytes(),
        ]
        if let data = try? JSONSerialization.data(withJSONObject: stats, options: [.sortedKeys, .prettyPrinted]) {
            try? data.write(to: URL(fileURLWithPath: path))
        }
    }
}
