import Foundation
import NeuralNetwork
import Tensors
import Testing
import TestSupport

/// LRN by the ONNX definition, in Double.
private func referenceLRN(_ x: Tensor, size: Int, alpha: Double, beta: Double, bias: Double) -> Tensor {
    let (n, c) = (x.shape[0], x.shape[1]), plane = x.count / (n * c)
    let y = Tensor(shape: x.shape)
    for b in 0..<n {
        for ch in 0..<c {
            for p in 0..<plane {
                let lo = max(0, ch - (size - 1) / 2), hi = min(c - 1, ch + Int((Double(size - 1) / 2).rounded(.up)))
                var sq = 0.0
                for i in lo...hi { let v = Double(x[(b * c + i) * plane + p]); sq += v * v }
                let o = (b * c + ch) * plane + p
                y[o] = Float(Double(x[o]) / pow(bias + alpha / Double(size) * sq, beta))
            }
        }
    }
    return y
}

private let lrnCases: [(size: Int, alpha: Float, beta: Float, bias: Float)] = [
    (5, 1e-4, 0.75, 1), (3, 0.5, 0.75, 2), (2, 0.3, 0.5, 1), (4, 1, 1.5, 1.5),
]

@Suite struct NormalizationTests {
    @Test(arguments: lrnCases.indices)
    func lrnForwardAndGradient(_ i: Int) throws {
        let c = lrnCases[i]
        var rng = SplitMix64(seed: 110 + UInt64(i))
        let x = Tensor.random([2, 7, 3, 5], in: -2...2, using: &rng)
        let op = LRN(size: c.size, alpha: c.alpha, beta: c.beta, bias: c.bias)
        let expected = referenceLRN(x, size: c.size, alpha: Double(c.alpha), beta: Double(c.beta), bias: Double(c.bias))
        assertClose(try evaluate(op, [x]), expected)
        try checkGradient(op, inputs: [x], label: "LRN size \(c.size) alpha \(c.alpha) beta \(c.beta)")
    }

    @Test func batchNormalizationForwardAndGradients() throws {
        var rng = SplitMix64(seed: 120)
        let x = Tensor.random([2, 3, 5, 7], using: &rng)
        let scale = Tensor.random([3], in: 0.5...2, using: &rng), bias = Tensor.random([3], using: &rng)
        let mean = Tensor.random([3], using: &rng), variance = Tensor.random([3], in: 0.5...2, using: &rng)
        let inputs = [x, scale, bias, mean, variance]
        let op = BatchNormalization(epsilon: 1e-3)
        let expected = Tensor(shape: x.shape)
        for i in 0..<x.count {
            let ch = (i / 35) % 3
            expected[i] = Float(Double(scale[ch]) * Double(x[i] - mean[ch]) / (Double(variance[ch]) + 1e-3).squareRoot() + Double(bias[ch]))
        }
        assertClose(try evaluate(op, inputs), expected)
        for k in inputs.indices { try checkGradient(op, inputs: inputs, wrt: k, label: "BatchNormalization wrt \(k)") }
    }

    @Test func batchNormalizationOfRankTwoInput() throws {
        let x = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let ones = Tensor(shape: [2], values: [1, 1]), zeros = Tensor(shape: [2])
        let y = try evaluate(BatchNormalization(epsilon: 0), [x, Tensor(shape: [2], values: [2, 3]), ones, zeros,
                                                               Tensor(shape: [2], values: [4, 9])])
        assertClose(y, shape: [2, 2], [1 * 2 / 2 + 1, 2 * 3 / 3 + 1, 3 * 2 / 2 + 1, 4 * 3 / 3 + 1])
        #expect(throws: NetworkError.self) { try BatchNormalization().outputShape([[1, 3, 2, 2], [3], [3], [3], [4]]) }
    }
}
