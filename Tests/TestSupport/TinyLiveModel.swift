import Capture
import Glibc
import Imaging
import NeuralNetwork
import Synchronization
import Tensors

/// A seeded 16×16 convnet small enough for live-pipeline tests in debug builds:
/// conv(3→6) → relu → conv(6→8, stride 2) → relu → global pool → linear(8→4) = logits.
public enum TinyLiveModel {
    /// The graph and a manifest-like `ModelInfo` listing `conv`, `conv2` and `logits`.
    public static func make(seed: UInt64 = 7) throws -> (graph: Graph, info: ModelInfo) {
        var rng = SplitMix64(seed: seed)
        var g = Graph()
        let x = g.addInput("input", shape: [1, 3, 16, 16])
        func const(_ s: [Int]) -> Int { g.addConstant("w\(g.values.count)", Tensor.random(s, in: -0.5...0.5, using: &rng)) }
        let w1 = const([6, 3, 3, 3]), b1 = const([6])
        var h = try g.addNode("conv.conv", Conv(kernel: [3, 3], pads: [1, 1, 1, 1]), inputs: [x, w1, b1], output: "conv.pre")
        h = try g.addNode("conv.relu", Clamp.relu, inputs: [h], output: "conv")
        let w2 = const([8, 6, 3, 3]), b2 = const([8])
        h = try g.addNode("conv2.conv", Conv(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]), inputs: [h, w2, b2], output: "conv2.pre")
        h = try g.addNode("conv2.relu", Clamp.relu, inputs: [h], output: "conv2")
        h = try g.addNode("pool", GlobalAveragePool(), inputs: [h], output: "pool")
        h = try g.addNode("flat", Flatten(), inputs: [h], output: "flat")
        let wf = const([4, 8]), bf = const([4])
        g.outputs = [try g.addNode("fc", Gemm(transB: true), inputs: [h, wf, bf], output: "logits")]
        let info = ModelInfo(name: "tiny", inputWidth: 16, inputHeight: 16, mean: [127, 127, 127], std: [64, 64, 64],
                             labels: ["alpha", "beta", "gamma", "delta"], defaultLayer: "conv2", layers: ["conv", "conv2", "logits"])
        return (g, info)
    }
}

/// A camera stand-in for fault tests: numbered frames whose colour changes with the index; `plugged` false makes
/// a streaming source throw `.deviceDisconnected` and `open` throw `.noSuchDevice`, like a real unplug.
public final class FakeCamera: Sendable {
    /// Whether the device is present.
    public let plugged = Atomic<Bool>(true)
    /// How many times a source was opened.
    public let opens = Atomic<Int>(0)
    /// Frames delivered in total.
    public let delivered = Atomic<Int>(0)
    let interval: Double

    /// Frames every `interval` seconds.
    public init(interval: Double = 0.01) { self.interval = interval }

    /// Opens a stream, or throws as a missing device does.
    public func open() throws -> FrameSource {
        guard plugged.load(ordering: .relaxed) else { throw CaptureError.noSuchDevice(path: "/dev/fake") }
        opens.add(1, ordering: .relaxed)
        return Stream(camera: self)
    }

    /// The picture of frame `index`: a flat colour with a bright square whose position depends on the index.
    public static func image(_ index: Int) -> RGBImage {
        var image = RGBImage(width: 32, height: 24, fill: (UInt8(index * 37 % 256), UInt8(index * 11 % 256), 90))
        let x0 = index % 20, y0 = index % 12
        for y in y0..<(y0 + 8) { for x in x0..<(x0 + 8) { image.pixels[(y * 32 + x) * 3] = 250 } }
        return image
    }

    final class Stream: FrameSource, @unchecked Sendable {
        let camera: FakeCamera
        var index = 0
        var closed = false
        init(camera: FakeCamera) { self.camera = camera }
        var description: String { "fake camera" }

        func next(timeout: Double) throws -> Frame? {
            if closed { throw CaptureError.closed(source: "fake") }
            guard camera.plugged.load(ordering: .relaxed) else { throw CaptureError.deviceDisconnected(path: "/dev/fake") }
            var request = timespec(tv_sec: 0, tv_nsec: Int(camera.interval * 1e9))
            nanosleep(&request, nil)
            defer { index += 1; camera.delivered.add(1, ordering: .relaxed) }
            return Frame(image: FakeCamera.image(index), timestamp: Double(index) * camera.interval, index: index)
        }

        func close() { closed = true }
    }
}
