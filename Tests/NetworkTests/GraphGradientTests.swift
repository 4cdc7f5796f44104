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
}
