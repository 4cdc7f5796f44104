import NeuralNetwork
import Tensors
import Testing
import TestSupport

/// Builds input → ops… (each applied to the previous value, extra constant operands allowed),
/// runs it forward on `x` and backward from `seed` on the last value in `mode`.
private func backprop(_ x: Tensor, _ steps: [(any Op, [Tensor])], seed: [Float], mode: BackwardMode) throws -> Tensor {
    var g = Graph()
    var last = g.addInput("x", shape: x.shape)
    for (k, (op, constants)) in steps.enumerated() {
        let extra = constants.enumerated().map { g.addConstant("c\(k).\($0.offset)", $0.element) }
        last = try g.addNode("n\(k)", op, inputs: [last] + extra, output: "v\(k)")
    }
    let s = Session(graph: g)
    s.run(x)
    return try s.backward(from: last, seed: .tensor(Tensor(shape: g.values[last].shape, values: seed)), mode: mode).copy()
}

/// Expected results below are worked out by hand from the rules in DESIGN.md §3:
/// gradient masks by forward input > 0, deconvnet by incoming gradient > 0, guided by both;
/// max-pool routes to the forward switch (first maximum in row-major window order) in every mode.
@Suite struct BackwardModeTests {
    @Test func reluAloneTheClassicTable() throws {
        let x = Tensor(shape: [1, 1, 2, 2], values: [2, 3, -1, -4])
        let seed: [Float] = [1, -1, 1, -1]
        let expected: [BackwardMode: [Float]] = [.gradient: [1, -1, 0, 0], .deconvnet: [1, 0, 1, 0], .guided: [1, 0, 0, 0]]
        for (mode, e) in expected {
            assertClose(try backprop(x, [(Clamp.relu, [])], seed: seed, mode: mode), shape: x.shape, e, "\(mode)")
        }
    }

    @Test func reluThenMaxPool() throws {
        // Relu gives [[1, 0, 0, 0], [3, 0.5, 0, 0]]; 2×2 windows: left max 3 at flat 4,
        // right all zeros so the switch is its first tap, flat 2, where x = −5 < 0.
        let x = Tensor(shape: [1, 1, 2, 4], values: [1, -2, -5, -1,
                                                     3, 0.5, -3, -4])
        let steps: [(any Op, [Tensor])] = [(Clamp.relu, []), (MaxPool(kernel: [2, 2], strides: [2, 2]), [])]
        let cases: [([Float], BackwardMode, [Float])] = [
            ([1, 1], .gradient, [0, 0, 0, 0, 1, 0, 0, 0]),
            // Deconvnet ignores the forward mask: the switch into the dead window still passes.
            ([1, 1], .deconvnet, [0, 0, 1, 0, 1, 0, 0, 0]),
            ([1, 1], .guided, [0, 0, 0, 0, 1, 0, 0, 0]),
            ([-1, 2], .gradient, [0, 0, 0, 0, -1, 0, 0, 0]),
            ([-1, 2], .deconvnet, [0, 0, 2, 0, 0, 0, 0, 0]),
            ([-1, 2], .guided, [0, 0, 0, 0, 0, 0, 0, 0]),
        ]
        for (seed, mode, e) in cases {
            assertClose(try backprop(x, steps, seed: seed, mode: mode), shape: x.shape, e, "seed \(seed) \(mode)")
        }
    }

    @Test func twoRelusAroundAMul() throws {
        // x = [2, −1, 1] → relu [2, 0, 1] → ·[−1, 3, 2] = [−2, 0, 2] → relu [0, 0, 2].
        let x = Tensor(shape: [1, 3], values: [2, -1, 1])
        let w = Tensor(shape: [1, 3], values: [-1, 3, 2])
        let steps: [(any Op, [Tensor])] = [(Clamp.relu, []), (Mul(), [w]), (Clamp.relu, [])]
        let cases: [([Float], BackwardMode, [Float])] = [
            // relu2 passes [0, 0, 1]; ·w → [0, 0, 2]; relu1 (x > 0 at 0, 2) → [0, 0, 2].
            ([1, 1, 1], .gradient, [0, 0, 2]),
            // relu2 passes all positive [1, 1, 1]; ·w → [−1, 3, 2]; relu1 keeps positives.
            ([1, 1, 1], .deconvnet, [0, 3, 2]),
            ([1, 1, 1], .guided, [0, 0, 2]),
            ([1, 1, -1], .gradient, [0, 0, -2]),
            // relu2 → [1, 1, 0]; ·w → [−1, 3, 0]; relu1 → [0, 3, 0].
            ([1, 1, -1], .deconvnet, [0, 3, 0]),
            ([1, 1, -1], .guided, [0, 0, 0]),
        ]
        for (seed, mode, e) in cases {
            assertClose(try backprop(x, steps, seed: seed, mode: mode), shape: x.shape, e, "seed \(seed) \(mode)")
        }
    }

    @Test func relu6GatesAtBothEnds() throws {
        let x = Tensor(shape: [4], values: [7, 3, -1, 5])
        let seed: [Float] = [1, 1, 1, -1]
        let expected: [BackwardMode: [Float]] = [.gradient: [0, 1, 0, -1], .deconvnet: [1, 1, 1, 0], .guided: [0, 1, 0, 0]]
        for (mode, e) in expected {
            assertClose(try backprop(x, [(Clamp(low: 0, high: 6), [])], seed: seed, mode: mode), shape: [4], e, "\(mode)")
        }
    }

    @Test func aClampAfterAnotherOpWritesOverItsOutputGradient() throws {
        // Mul by 2 gives [8, 2, −2, 5]; the clamp's gradient (its input's only one) is written over its output
        // gradient's buffer, the seed's copy, which then goes on to the Mul. Twice on one session and workspace, so
        // a buffer that changed hands is reused; the caller's seed is left alone.
        var g = Graph()
        let x = g.addInput("x", shape: [4])
        let m = try g.addNode("double", Mul(), inputs: [x, g.addConstant("two", Tensor(shape: [1], values: [2]))], output: "m")
        let y = try g.addNode("relu6", Clamp(low: 0, high: 6), inputs: [m], output: "y")
        let s = Session(graph: g)
        s.run(Tensor(shape: [4], values: [4, 1, -1, 2.5]))
        let seed = Tensor(shape: [4], values: [1, 1, 1, -1])
        let expected: [BackwardMode: [Float]] = [.gradient: [0, 2, 0, -2], .deconvnet: [2, 2, 2, 0], .guided: [0, 2, 0, 0]]
        let workspace = GradientWorkspace()
        for _ in 0..<2 {
            for mode in BackwardMode.allCases {
                let gx = try s.backward(from: y, seed: .tensor(seed), mode: mode, gradients: workspace)
                assertClose(gx, shape: [4], expected[mode]!, "\(mode)")
            }
        }
        assertClose(seed, shape: [4], [1, 1, 1, -1], "the seed")
    }

    @Test func hardSwishIsRectifiedLikeRelu() throws {
        // Slopes: x = −4 → 0, −2 → −1/6, 1 → 5/6, 4 → 1.
        let x = Tensor(shape: [4], values: [-4, -2, 1, 4])
        let seed: [Float] = [1, -1, 2, -3]
        let expected: [BackwardMode: [Float]] = [
            .gradient: [0, 1.0 / 6, 5.0 / 3, -3],
            .deconvnet: [1, 0, 2, 0],
            .guided: [0, 0, 5.0 / 3, 0],
        ]
        for (mode, e) in expected {
            assertClose(try backprop(x, [(HardSwish(), [])], seed: seed, mode: mode), shape: [4], e, "\(mode)")
        }
    }

    @Test func gatesAndLinearOpsPassTheTrueGradientInEveryMode() throws {
        // sigmoid′(0) = 1/4; hardsigmoid′ = 0.2 inside; softmax of equal inputs: y = 1/2 each.
        let x = Tensor(shape: [1, 2], values: [0, 0])
        let seed: [Float] = [-2, 1]
        let cases: [(any Op, [Float])] = [
            (Sigmoid(), [-0.5, 0.25]),
            (HardSigmoid(), [-0.4, 0.2]),
            // y·(g − Σ g·y) = 0.5·(−2 + 0.5), 0.5·(1 + 0.5).
            (Softmax(), [-0.75, 0.75]),
            (AveragePool(kernel: [1, 1]), [-2, 1]),
        ]
        for (op, e) in cases {
            let input = op is AveragePool ? x.reshaped([1, 1, 1, 2]) : x
            for mode in BackwardMode.allCases {
                assertClose(try backprop(input, [(op, [])], seed: seed, mode: mode), shape: input.shape, e, "\(op.kind) \(mode)")
            }
        }
    }
}
