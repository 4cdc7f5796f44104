import Foundation
import Glibc
import LivePipeline
import NeuralNetwork
import Synchronization
import Tensors
import TestSupport
import ViewerCore
import Visualization
import WebViewer

/// A real server on a loopback port over a real pipeline (tiny seeded network, fake camera), for one test.
struct ServerHarness {
    let model: (graph: Graph, info: ModelInfo)
    let pipeline: LivePipeline
    let server: WebViewerServer

    var layers: [PipelineLayer] { pipeline.layers }

    /// Runs `body` with a started server; everything stops afterwards.
    static func with(model: (graph: Graph, info: ModelInfo)? = nil, access: AccessPolicy = AccessPolicy(token: nil),
                     maxClients: Int = 16, ascentIterations: Int? = nil, cameraInterval: Double = 0.02, initialLayer: Int = 1,
                     _ body: @Sendable (ServerHarness, Int) async throws -> Void) async throws {
        let model = try model ?? TinyLiveModel.make()
        let camera = FakeCamera(interval: cameraInterval)
        let layers = PipelineLayer.list(graph: model.graph, info: model.info)
        var controls = PipelineControls(selection: UnitSelection(layerIndex: initialLayer, channel: 0))
        controls.ascent = ascentIterations.map { AscentSettings(preset: Preset.named("paper-3")!, iterations: $0) }
        let pipeline = LivePipeline(graph: model.graph, info: model.info, layers: layers,
                                    sources: [LiveSource(name: "camera fake", reconnects: true) { try camera.open() }],
                                    controls: controls)
        let server = try WebViewerServer(pipeline: pipeline, configuration: WebServerConfiguration(
            host: "127.0.0.1", port: 0, maxClients: maxClients, access: access),
            initialState: ViewerState(layerIndex: initialLayer, selectedUnit: 0), modelName: model.info.name)
        let harness = ServerHarness(model: model, pipeline: pipeline, server: server)
        pipeline.start()
        defer { pipeline.stop() }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(handlesSignals: false) { portSink.yield($0) } }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HarnessError("server did not start") }
            try await body(harness, port)
            group.cancelAll()
        }
    }

}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What a test client received: the hello, decoded frame headers and payloads, and any error texts.
final class Received: Sendable {
    struct Frame: @unchecked Sendable {
        var header: [String: Any]
        var payload: [UInt8]
        func part(_ key: String) -> [UInt8]? {
            guard let place = header[key] as? [String: Any], let off = place["off"] as? Int, let len = place["len"] as? Int else { return nil }
            return Array(payload[off..<(off + len)])
        }
    }
    private let state = Mutex<(hello: String?, frames: [Frame], errors: [String], closed: Bool)>((nil, [], [], false))

    func add(opcode: UInt8, _ bytes: [UInt8]) {
        if opcode == 1 {
            state.withLock { $0.hello = String(decoding: bytes, as: UTF8.self) }
            return
        }
        guard let decoded = FrameMessage.decode(bytes) else { return }
        let frame = Frame(header: decoded.header, payload: Array(decoded.payload))
        state.withLock {
            $0.frames.append(frame)
            $0.errors += (decoded.header["errors"] as? [String]) ?? []
        }
    }

    func markClosed() { state.withLock { $0.closed = true } }
    var closed: Bool { state.withLock { $0.closed } }

    var hello: [String: Any]? {
        state.withLock { $0.hello }.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    var frames: [Frame] { state.withLock { $0.frames } }
    var errors: [String] { state.withLock { $0.errors } }
    /// The newest `state` header received.
    var lastState: [String: Any]? { frames.last { $0.header["state"] != nil }?.header["state"] as? [String: Any] }

    /// Waits until `condition` holds (polling), up to `seconds`; true if it did.
    func wait(_ seconds: Double = 20, until condition: (Received) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(self)
    }
}

/// A WebSocket client session: connects, records what arrives, runs `script` with a sender, then closes.
func withClient(port: Int, path: String = "/ws", headers: [String: String] = [:],
                _ script: (Received, @escaping @Sendable (String) async throws -> Void) async throws -> Void) async throws {
    let socket = try await offPool { try WireWebSocket(port: port, path: path, headers: headers) }
    defer { socket.close() }
    try await script(socket.received) { try socket.send($0) }
}

/// The test network with one wide layer (48 maps of 96×96), so messages are big enough to fill socket buffers.
func wideModel() throws -> (graph: Graph, info: ModelInfo) {
    var rng = SplitMix64(seed: 3)
    var g = Graph()
    let x = g.addInput("input", shape: [1, 3, 96, 96])
    let w = g.addConstant("w", Tensor.random([48, 3, 3, 3], in: -0.5...0.5, using: &rng))
    let b = g.addConstant("b", Tensor.random([48], in: -0.1...0.1, using: &rng))
    var h = try g.addNode("conv.conv", Conv(kernel: [3, 3], pads: [1, 1, 1, 1]), inputs: [x, w, b], output: "conv")
    h = try g.addNode("pool", GlobalAveragePool(), inputs: [h], output: "pool")
    g.outputs = [try g.addNode("flat", Flatten(), inputs: [h], output: "features")]
    let info = ModelInfo(name: "wide", inputWidth: 96, inputHeight: 96, mean: [127, 127, 127], std: [64, 64, 64],
                         labels: [], defaultLayer: "conv", layers: ["conv", "features"])
    return (g, info)
}
