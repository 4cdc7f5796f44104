import Foundation
import NeuralNetwork
import Tensors
import Testing
import TestSupport

/// Applies `f` to every element (the definition of an elementwise op).
private func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
    Tensor(shape: x.shape, values: x.array.map(f))
}

/// Numpy broadcasting written out: index the output, then each operand with its size-1 axes pinned to 0.
private func referenceBroadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    let rank = max(a.shape.count, b.shape.count)
    let sa = [Int](repeating: 1, count: rank - a.shape.count) + a.shape
    let sb = [Int](repeating: 1, count: rank - b.shape.count) + b.shape
    let out = zip(sa, sb).map { max($0, $1) }
    func flat(_ idx: [Int], _ s: [Int]) -> Int { zip(idx, s).reduce(0) { $0 * $1.1 + ($1.1 == 1 ? 0 : $1.0) } }
    let y = Tensor(shape: out)
    for i in 0..<y.count {
        let idx = index(i, in: out)
        y[i] = f(a[flat(idx, sa)], b[flat(idx, sb)])
    }
    return y
}

/// The CNN broadcasting cases: same shape, scalar, per-channel, trailing, and both sides broadcast.
private let broadcastShapes: [([Int], [Int])] = [
    ([2, 3, 4, 5], [2, 3, 4, 5]),
    ([1, 3, 5, 7], []),
    ([2, 3, 5, 7], [1, 3, 1, 1]),
    ([1, 3, 5, 7], [3, 1, 1]),
    ([3, 1, 5], [4, 1]),
    ([7], [2, 3, 7]),
]

@Suite struct ElementwiseTests {
    @Test func activationsForwardMatchDefinitions() throws {
        var rng = SplitMix64(seed: 1)
        let x = Tensor.random([1, 3, 5, 7], in: -8...8, using: &rng)
        assertClose(try evaluate(Sigmoid(), [x]), map(x) { 1 / (1 + exp(-$0)) })
        assertClose(try evaluate(HardSigmoid(), [x]), map(x) { max(0, min(1, 0.2 * $0 + 0.5)) })
        assertClose(try evaluate(HardSigmoid(alpha: 0.3, beta: 0.4), [x]), map(x) { max(0, min(1, 0.3 * $0 + 0.4)) })
        assertClose(try evaluate(HardSwish(), [x]), map(x) { $0 * max(0, min(1, $0 / 6 + 0.5)) })
        assertClose(try evaluate(Identity(), [x]), x)
        assertClose(try evaluate(Identity.dropout, [x]), x)
        let big = Tensor(shape: [4], values: [-100, -30, 30, 100])
        // No overflow at the extremes; the expected values are computed in Double.
        let expected = [-100.0, -30, 30, 100].map { Float(1 / (1 + Foundation.exp(-$0))) }
        assertClose(try evaluate(Sigmoid(), [big]), shape: [4], expected, rtol: 1e-5, atol: 1e-37)
    }

    @Test func activationGradients() throws {
        var rng = SplitMix64(seed: 2)
        // HardSigmoid kinks at ±2.5, HardSwish at ±3: keep inputs away from them.
        let x = Tensor.random([1, 3, 5, 7], in: -5...5, avoiding: [-3, -2.5, 2.5, 3], using: &rng)
        try checkGradient(Sigmoid(), inputs: [x])
        try checkGradient(HardSigmoid(), inputs: [x])
        try checkGradient(HardSigmoid(alpha: 0.5, beta: 0.25), inputs: [x])
        try checkGradient(HardSwish(), inputs: [x])
        try checkGradient(Identity(), inputs: [x])
        try checkGradient(Identity.dropout, inputs: [x])
    }

    @Test(arguments: broadcastShapes.indices)
    func binaryForwardMatchesBroadcasting(_ i: Int) throws {
        let (sa, sb) = broadcastShapes[i]
        var rng = SplitMix64(seed: 3 + UInt64(i))
        let a = Tensor.random(sa, using: &rng), b = Tensor.random(sb, in: 0.5...2, using: &rng)
        assertClose(try evaluate(Mul(), [a, b]), referenceBroadcast(a, b, *))
        assertClose(try evaluate(Sub(), [a, b]), referenceBroadcast(a, b, -))
        assertClose(try evaluate(Div(), [a, b]), referenceBroadcast(a, b, /))
        assertClose(try evaluate(Sub(), [b, a]), referenceBroadcast(b, a, -))
    }

    @Test(arguments: broadcastShapes.indices)
    func binaryGradientsBothOperands(_ i: Int) throws {
        let (sa, sb) = broadcastShapes[i]
        var rng = SplitMix64(seed: 13 + UInt64(i))
        // Divisors in [1, 2] keep 1/b's third derivative small for the ±0.01 step.
        let a = Tensor.random(sa, using: &rng), b = Tensor.random(sb, in: 1...2, using: &rng)
        for op in [Mul(), Sub(), Div()] as [any Op] {
            try checkGradient(op, inputs: [a, b], wrt: 0)
            try checkGradient(op, inputs: [a, b], wrt: 1)
        }
    }

    @Test func broadcastShapeErrors() {
        #expect(throws: NetworkError.self) { try Mul().outputShape([[1, 3, 4, 4], [2, 1, 1]]) }
        #expect(throws: NetworkError.self) { try Div().outputShape([[3]]) }
    }

    @Test func reshapeResolvesZeroAndMinusOne() throws {
        let r = Reshape(shape: [0, -1])
        #expect(try r.outputShape([[2, 3, 4, 5]]) == [2, 60])
        #expect(try Reshape(shape: [-1, 0, 5]).outputShape([[2, 3, 4, 5]]) == [8, 3, 5])
        #expect(try Reshape(shape: [0, 0], allowZero: true).outputShape([[0, 3]]) == [0, 0])
        #expect(throws: NetworkError.self) { try Reshape(shape: [-1, -1]).outputShape([[4]]) }
        #expect(throws: NetworkError.self) { try Reshape(shape: [7, -1]).outputShape([[2, 3, 4, 5]]) }
        #expect(throws: NetworkError.self) { try Reshape(shape: [5, 5]).outputShape([[2, 3, 4, 5]]) }
        var rng = SplitMix64(seed: 4)
        let x = Tensor.random([1, 3, 5, 7], using: &rng)
        assertClose(try evaluate(Reshape(shape: [0, -1, 7]), [x]), x.reshaped([1, 15, 7]))
        try checkGradient(Reshape(shape: [3, -1]), inputs: [x])
    }
}
