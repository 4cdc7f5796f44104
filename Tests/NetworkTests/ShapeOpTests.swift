import Foundation
import NeuralNetwork
import Tensors
import Testing
import TestSupport

/// Concatenation by definition: output element idx reads the input whose range along the axis holds idx[axis].
private func referenceConcat(_ xs: [Tensor], axis: Int) -> Tensor {
    var out = xs[0].shape
    out[axis] = xs.reduce(0) { $0 + $1.shape[axis] }
    let y = Tensor(shape: out)
    for i in 0..<y.count {
        var idx = index(i, in: out), k = 0
        while idx[axis] >= xs[k].shape[axis] { idx[axis] -= xs[k].shape[axis]; k += 1 }
        let flat = zip(idx, xs[k].shape).reduce(0) { $0 * $1.1 + $1.0 }
        y[i] = xs[k][flat]
    }
    return y
}

/// Pad by definition: each output coordinate maps back per axis by the mode (nil = the constant).
private func referencePad(_ x: Tensor, pads: [Int], mode: Pad.Mode, value: Float) -> Tensor {
    let r = x.shape.count
    let out = (0..<r).map { x.shape[$0] + pads[$0] + pads[$0 + r] }
    func source(_ o: Int, _ d: Int) -> Int? {
        let n = x.shape[d]
        var i = o - pads[d]
        if (0..<n).contains(i) { return i }
        switch mode {
        case .constant: return nil
        case .edge: return min(max(i, 0), n - 1)
        case .wrap: return ((i % n) + n) % n
        case .reflect:
            // Bounce off the first and last element until inside.
            while !(0..<n).contains(i) { i = i < 0 ? -i : 2 * (n - 1) - i }
            return i
        }
    }
    let y = Tensor(shape: out)
    for j in 0..<y.count {
        let idx = index(j, in: out)
        let src = (0..<r).map { source(idx[$0], $0) }
        if src.contains(where: { $0 == nil }) { y[j] = value; continue }
        y[j] = x[zip(src, x.shape).reduce(0) { $0 * $1.1 + $1.0! }]
    }
    return y
}

private let padCases: [([Int], [Int], Pad.Mode)] = [
    ([1, 2, 3, 5], [0, 0, 1, 2, 0, 0, 2, 1], .constant),
    ([1, 2, 4, 5], [0, 0, 2, 3, 0, 0, 3, 1], .reflect),
    ([1, 2, 3, 5], [0, 0, 2, 1, 0, 0, 1, 4], .edge),
    ([1, 2, 3, 5], [0, 0, 1, 6, 0, 0, 4, 2], .wrap),
    ([2, 3, 5], [0, -1, 2, 1, 0, -1], .constant),
    ([1, 1, 3, 4], [0, 1, -1, 1, 0, 0, 1, -2], .edge),
]

@Suite struct ShapeOpTests {
    @Test(arguments: [0, 1, 2, 3, -1, -3])
    func concatForwardAndGradient(axis: Int) throws {
        var rng = SplitMix64(seed: 70 + UInt64(axis + 5))
        let ax = axis < 0 ? axis + 4 : axis
        let shapes = [2, 3, 1].map { k -> [Int] in var s = [2, 3, 5, 3]; s[ax] = k; return s }
        let xs = shapes.map { Tensor.random($0, using: &rng) }
        assertClose(try evaluate(Concat(axis: axis), xs), referenceConcat(xs, axis: ax))
        for k in xs.indices { try checkGradient(Concat(axis: axis), inputs: xs, wrt: k) }
    }

    @Test func concatShapeErrors() {
        #expect(throws: NetworkError.self) { try Concat(axis: 1).outputShape([[1, 2, 3], [2, 2, 3]]) }
        #expect(throws: NetworkError.self) { try Concat(axis: 3).outputShape([[1, 2, 3], [1, 2, 3]]) }
    }

    @Test(arguments: [-1, 0, 1, 2, 3])
    func softmaxForwardAndGradient(axis: Int) throws {
        var rng = SplitMix64(seed: 80 + UInt64(axis + 1))
        let x = Tensor.random([2, 3, 5, 3], in: -3...3, using: &rng)
        let ax = axis < 0 ? axis + 4 : axis
        let y = try evaluate(Softmax(axis: axis), [x])
        let expected = Tensor(shape: x.shape)
        let inner = Array(x.shape[(ax + 1)...]).elementCount, n = x.shape[ax]
        for i in 0..<x.count where (i / inner) % n == 0 {
            let slice = (0..<n).map { i + $0 * inner }
            let total = slice.reduce(0.0) { $0 + Foundation.exp(Double(x[$1])) }
            for j in slice { expected[j] = Float(Foundation.exp(Double(x[j])) / total) }
        }
        assertClose(y, expected)
        try checkGradient(Softmax(axis: axis), inputs: [x])
    }

    @Test func legacySoftmaxNormalizesEverythingAfterTheAxis() throws {
        var rng = SplitMix64(seed: 90)
        let x = Tensor.random([2, 3, 2, 2], using: &rng)
        let y = try evaluate(Softmax(axis: 1, coercedTo2D: true), [x])
        for b in 0..<2 {
            let total = (0..<12).reduce(0.0) { $0 + Foundation.exp(Double(x[b * 12 + $1])) }
            for j in 0..<12 { #expect(abs(Double(y[b * 12 + j]) - Foundation.exp(Double(x[b * 12 + j])) / total) < 1e-6) }
        }
        try checkGradient(Softmax(axis: 1, coercedTo2D: true), inputs: [x])
    }

    @Test func softmaxIsStableForLargeInputs() throws {
        let y = try evaluate(Softmax(), [Tensor(shape: [1, 3], values: [1000, 1000, -1000])])
        assertClose(y, shape: [1, 3], [0.5, 0.5, 0])
    }

    @Test(arguments: padCases.indices)
    func padForwardAndGradient(_ i: Int) throws {
        let (shape, pads, mode) = padCases[i]
        var rng = SplitMix64(seed: 100 + UInt64(i))
        let x = Tensor.random(shape, using: &rng)
        let op = Pad(pads: pads, mode: mode, value: 0.75)
        assertClose(try evaluate(op, [x]), referencePad(x, pads: pads, mode: mode, value: 0.75), "\(mode) \(pads)")
        try checkGradient(op, inputs: [x], label: "Pad \(mode) \(pads)")
    }

    @Test func padReflectByHand() throws {
        // ONNX's example: reflect [1.0, 1.2, 2.3, 3.4, 4.5, 5.7] shaped 3×2 by pads [0, 2, 0, 0].
        let x = Tensor(shape: [3, 2], values: [1.0, 1.2, 2.3, 3.4, 4.5, 5.7])
        assertClose(try evaluate(Pad(pads: [0, 2, 0, 0], mode: .reflect), [x]), shape: [3, 4],
                    [1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7])
        assertClose(try evaluate(Pad(pads: [0, 2, 0, 0], mode: .edge), [x]), shape: [3, 4],
                    [1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7])
    }
}
