import NeuralNetwork
import Tensors
import TestSupport
import Visualization

/// A seeded 3→6 conv, ReLU6, 6→4 conv, global pool, 4→5 linear graph on 12×12 images.
enum TinyNetwork {
    static let size = 12

    static func graph(seed: UInt64 = 11) throws -> Graph {
        var rng = SplitMix64(seed: seed)
        var g = Graph()
        let x = g.addInput("input", shape: [1, 3, size, size])
        func const(_ s: [Int]) -> Int { g.addConstant("w\(g.values.count)", Tensor.random(s, in: -0.5...0.5, using: &rng)) }
        let w1 = const([6, 3, 3, 3]), b1 = const([6])
        var h = try g.addNode("conv1", Conv(kernel: [3, 3], pads: [1, 1, 1, 1]), inputs: [x, w1, b1], output: "conv1")
        h = try g.addNode("act1", Clamp(low: 0, high: 6), inputs: [h], output: "act1")
        let w2 = const([4, 6, 3, 3]), b2 = const([4])
        h = try g.addNode("conv2", Conv(kernel: [3, 3], pads: [1, 1, 1, 1]), inputs: [h, w2, b2], output: "conv2")
        h = try g.addNode("pool", GlobalAveragePool(), inputs: [h], output: "pool")
        h = try g.addNode("flat", Flatten(), inputs: [h], output: "flat")
        let wf = const([5, 4]), bf = const([5])
        g.outputs = [try g.addNode("fc", Gemm(transB: true), inputs: [h, wf, bf], output: "logits")]
        return g
    }

    /// The paper's pixel scale with EfficientNet-Lite's normalization.
    static let space = PixelSpace(width: size, height: size, mean: [127, 127, 127], std: [128, 128, 128])

    static func evaluator(_ objective: Objective) throws -> ObjectiveEvaluator {
        try ObjectiveEvaluator(objective, session: Session(graph: graph()), space: space)
    }

    /// A short blur-and-decay preset whose step size does not depend on the gradient's scale.
    static let preset = Preset(name: "tiny", summary: "test", iterations: 30, stepRule: .progress(maxRate: 1e8, desired: 0.2),
                               regularizers: [.decay(0.001), .blur(width: 0.5, every: 4)])
}
