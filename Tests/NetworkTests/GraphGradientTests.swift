import NeuralNetwork
import Tensors
import Testing
import TestSupport

/// Gradient checks through small multi-op graphs, where ops feed each other and values fan out.
@Suite struct GraphGradientTests {
    @Test func clampPoolsConcatLRNSoftmax() throws {
        var g = Graph()
        let x = g.addInput("x", shape: [1, 2, 5, 7])
        let r = try g.addNode("relu6", Clamp(low: 0, high: 6), inputs: [x], output: "r")
        let m = try g.addNode("max", MaxPool(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]), inputs: [r], output: "m")
        let a = try g.addNode("avg", AveragePool(kernel: [2, 2], strides: [2, 2], ceilMode: true), inputs: [r], output: "a")
        let c = try g.addNode("cat", Concat(axis: 1), inputs: [m, a], output: "c")
        let l = try g.addNode("lrn", LRN(size: 3, alpha: 0.5, beta: 0.75, bias: 1), inputs: [c], output: "l")
        let y = try g.addNode("softmax", Softmax(axis: 1), inputs: [l], output: "y")
        var rng = SplitMix64(seed: 200)
        // Distinct values 0.15 apart in ±5.3, pushed 0.1 away from 0: no ties, no kink at 0 or 6 within a step.
        let input = Tensor.distinct([1, 2, 5, 7], spacing: 0.15, using: &rng)
        for i in 0..<input.count { input[i] += input[i] >= 0 ? 0.1 : -0.1 }
        try checkGradient(graph: g, output: y, inputs: [input], label: "Clamp→MaxPool/AveragePool→Concat→LRN→Softmax")
    }

    @Test func gatedBranchReshapeMatMul() throws {
        var rng = SplitMix64(seed: 210)
        var g = Graph()
        let x = g.addInput("x", shape: [1, 3, 4, 5])
        let p = try g.addNode("pad", Pad(pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: .reflect), inputs: [x], output: "p")
        let bn = try g.addNode("bn", BatchNormalization(), inputs: [p] + [
            Tensor.random([3], in: 0.5...1.5, using: &rng), Tensor.random([3], using: &rng),
            Tensor.random([3], using: &rng), Tensor.random([3], in: 0.5...1.5, using: &rng),
        ].enumerated().map { g.addConstant("bn\($0.offset)", $0.element) }, output: "bn")
        let gate = try g.addNode("gate", Sigmoid(), inputs: [bn], output: "gate")
        let hs = try g.addNode("hswish", HardSwish(), inputs: [p], output: "hs")
        let prod = try g.addNode("mul", Mul(), inputs: [hs, gate], output: "prod")
        let d = try g.addNode("div", Div(), inputs: [prod, g.addConstant("k", Tensor(shape: [1, 3, 1, 1], values: [2, 3, 4]))], output: "d")
        let flat = try g.addNode("reshape", Reshape(shape: [0, -1]), inputs: [d], output: "flat")
        let w = g.addConstant("w", Tensor.random([126, 4], using: &rng))
        let logits = try g.addNode("matmul", MatMul(), inputs: [flat, w], output: "logits")
        let y = try g.addNode("softmax", Softmax(), inputs: [logits], output: "y")
        // HardSwish kinks at ±3 are outside the input range.
        let input = Tensor.random([1, 3, 4, 5], in: -2.5...2.5, using: &rng)
        try checkGradient(graph: g, output: y, inputs: [input], label: "Pad→BN→Sigmoid·HardSwish→Div→Reshape→MatMul→Softmax")
    }

    @Test func backwardFromAnIntermediateLayerIgnoresTheRest() throws {
        var g = Graph()
        let x = g.addInput("x", shape: [1, 1, 3, 3])
        let m = try g.addNode("max", MaxPool(kernel: [2, 2]), inputs: [x], output: "m")
        _ = try g.addNode("sig", Sigmoid(), inputs: [m], output: "s")
        let s = Session(graph: g)
        s.run(Tensor(shape: [1, 1, 3, 3], values: [1, 2, 3, 4, 9, 5, 6, 7, 8]))
        // All four 2×2 windows hold the centre 9; the seed picks the bottom-right one, and the
        // Sigmoid after the seed layer takes no part.
        let gx = try s.backward(from: m, seed: .unit(channel: 0, y: 1, x: 1))
        assertClose(gx, shape: [1, 1, 3, 3], [0, 0, 0, 0, 1, 0, 0, 0, 0])
    }

    /// An inverted-residual block where a value feeds a depthwise conv, a residual Add and, last, a 1×1 conv: in
    /// reverse the 1×1 conv writes that value's gradient first (no zero-fill) and the others add to it.
    func blockWithFanOut(low: Float, high: Float) throws -> (Graph, Int, Int) {
        var rng = SplitMix64(seed: 230)
        var g = Graph()
        let x = g.addInput("x", shape: [1, 3, 6, 5])
        func const(_ s: [Int]) -> Int { g.addConstant("w\(g.values.count)", Tensor.random(s, in: -0.5...0.5, using: &rng)) }
        var h = try g.addNode("expand", Conv(kernel: [1, 1]), inputs: [x, const([8, 3, 1, 1]), const([8])], output: "expand.pre")
        let a = try g.addNode("expand.act", Clamp(low: low, high: high), inputs: [h], output: "expand")
        h = try g.addNode("dw", Conv(kernel: [3, 3], pads: [1, 1, 1, 1], group: 8), inputs: [a, const([8, 1, 3, 3])], output: "dw.pre")
        h = try g.addNode("dw.act", Clamp(low: low, high: high), inputs: [h], output: "dw")
        h = try g.addNode("project", Conv(kernel: [1, 1]), inputs: [h, const([8, 8, 1, 1])], output: "project")
        let r = try g.addNode("res", Add(), inputs: [h, a], output: "res")
        let d = try g.addNode("side", Conv(kernel: [1, 1]), inputs: [a, const([8, 8, 1, 1])], output: "side")
        let y = try g.addNode("sum", Add(), inputs: [r, d], output: "y")
        return (g, y, a)
    }

    @Test func firstWritersOverwriteAndLaterOnesAdd() throws {
        // Clamps wide enough to be smooth on this input: the finite differences see the arithmetic, not kinks.
        let (g, y, _) = try blockWithFanOut(low: -100, high: 100)
        var rng = SplitMix64(seed: 231)
        try checkGradient(graph: g, output: y, inputs: [Tensor.random([1, 3, 6, 5], in: -2...2, using: &rng)], label: "block with fan-out")
    }

    @Test func reusedGradientBuffersGiveWhatFreshOnesGive() throws {
        // ReLU6 clamps: masks matter. Pooled buffers hold the previous pass's gradients; results must not show it.
        let (g, y, a) = try blockWithFanOut(low: 0, high: 6)
        var rng = SplitMix64(seed: 232)
        let input = Tensor.random([1, 3, 6, 5], in: -3...3, using: &rng)
        let reused = Session(graph: g), other = Session(graph: g, activationsInPlace: true)
        let borrowed = GradientWorkspace()
        reused.run(input)
        other.run(input)
        for mode in BackwardMode.allCases {
            for (layer, shape) in [(y, [1, 8, 6, 5]), (a, [1, 8, 6, 5])] {
                let seed = Tensor.random(shape, in: -1...1, using: &rng)
                let fresh = Session(graph: g)
                fresh.run(input)
                let expected = try fresh.backward(from: layer, seed: .tensor(seed), mode: mode).copy()
                assertClose(try reused.backward(from: layer, seed: .tensor(seed), mode: mode), expected, rtol: 0, atol: 0)
                // The live probe's way: another session's activations, this thread's buffers.
                assertClose(try other.backward(from: layer, seed: .tensor(seed), mode: mode, gradients: borrowed), expected, rtol: 0, atol: 0)
            }
        }
        #expect(borrowed.bytes > 0)
    }

    @Test func oneBufferServesGradientsOfDifferentShapes() throws {
        // Maps that shrink (stride 2) and grow (1×1 expand): the workspace hands out views of one buffer for
        // values of other shapes, which must not leak one value's leftovers into another's gradient.
        var rng = SplitMix64(seed: 233)
        var g = Graph()
        let x = g.addInput("x", shape: [1, 3, 8, 8])
        func const(_ s: [Int]) -> Int { g.addConstant("w\(g.values.count)", Tensor.random(s, in: -0.5...0.5, using: &rng)) }
        var h = try g.addNode("expand", Conv(kernel: [1, 1]), inputs: [x, const([16, 3, 1, 1]), const([16])], output: "expand.pre")
        h = try g.addNode("expand.act", Clamp(low: 0, high: 6), inputs: [h], output: "expand")
        h = try g.addNode("dw", Conv(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 16), inputs: [h, const([16, 1, 3, 3])], output: "dw.pre")
        let small = try g.addNode("dw.act", Clamp(low: 0, high: 6), inputs: [h], output: "dw")
        h = try g.addNode("widen", Conv(kernel: [1, 1]), inputs: [small, const([40, 16, 1, 1])], output: "widen")
        let wide = try g.addNode("widen.act", Clamp(low: 0, high: 6), inputs: [h], output: "wide")
        let input = Tensor.random([1, 3, 8, 8], in: -3...3, using: &rng)
        let session = Session(graph: g)
        session.run(input)
        let shared = GradientWorkspace()
        for mode in BackwardMode.allCases {
            for (layer, shape) in [(wide, [1, 40, 4, 4]), (small, [1, 16, 4, 4]), (wide, [1, 40, 4, 4])] {
                let seed = Tensor.random(shape, in: -1...1, using: &rng)
                let expected = try session.backward(from: layer, seed: .tensor(seed), mode: mode, gradients: GradientWorkspace()).copy()
                assertClose(try session.backward(from: layer, seed: .tensor(seed), mode: mode, gradients: shared), expected, rtol: 0, atol: 0)
            }
        }
        // Every value's gradient at once would be 16·64·2 + 16·16·2 + 40·16·2 floats (plus the input's); the pool
        // holds what is live at once: no more than two 16×8×8 maps beside the input's gradient.
        #expect(shared.bytes <= (2 * 16 * 64 + 3 * 64) * 4)
    }
}
