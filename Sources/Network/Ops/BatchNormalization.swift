import Foundation
import Tensors

/// ONNX BatchNormalization in inference form, for N×C×… inputs (for graphs where it cannot be
/// folded into a preceding Conv): y = scale·(x − mean)/√(var + ε) + b, per channel; ε default 1e-5.
///
/// Inputs are x, scale, b, mean, var. Backward computes gx += gy·scale/√(var + ε) and, should any
/// of the per-channel inputs carry gradient (they are normally constants, whose slots are nil),
/// their exact gradients too. True gradient in every mode.
public struct BatchNormalization: Op {
    public let kind = "BatchNormalization"
    /// Added to the variance before the square root.
    public let epsilon: Float

    /// Inference batch normalization with ONNX's default epsilon.
    public init(epsilon: Float = 1e-5) { self.epsilon = epsilon }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 5, inputs[0].count >= 2, inputs[1...].allSatisfy({ $0 == [inputs[0][1]] }) else {
            throw NetworkError.shapeMismatch(op: kind, detail: "needs x (N×C×…) and four [C] tensors, got \(inputs)")
        }
        return inputs[0]
    }

    public func forward(_ a: ForwardArgs) {
        let shape = a.output.shape, channels = shape[1], plane = Array(shape[2...]).elementCount
        let x = a.inputs[0].data, y = a.output.data
        let scale = a.inputs[1].data, bias = a.inputs[2].data, mean = a.inputs[3].data, variance = a.inputs[4].data
        for n in 0..<shape[0] {
            for c in 0..<channels {
                let m = scale[c] / sqrt(variance[c] + epsilon), b = bias[c] - mean[c] * m
                let o = (n * channels + c) * plane
                for p in o..<(o + plane) { y[p] = x[p] * m + b }
            }
        }
    }

    public func backward(_ a: BackwardArgs) {
        let shape = a.output.shape, channels = shape[1], plane = Array(shape[2...]).elementCount
        let x = a.inputs[0].data, gy = a.outputGrad.data
        let scale = a.inputs[1].data, mean = a.inputs[3].data, variance = a.inputs[4].data
        let g = a.inputGrads
        let constantsOnly = g[1...].allSatisfy { $0 == nil }
        for n in 0..<shape[0] {
            for c in 0..<channels {
                let inv = 1 / sqrt(variance[c] + epsilon)
                let o = (n * channels + c) * plane
                if let gx = g[0]?.data { for p in o..<(o + plane) { gx[p] += gy[p] * scale[c] * inv } }
                if constantsOnly { continue }
                var sumG: Float = 0, sumGX: Float = 0
                for p in o..<(o + plane) { sumG += gy[p]; sumGX += gy[p] * (x[p] - mean[c]) }
                g[1]?[c] += sumGX * inv
                g[2]?[c] += sumG
                g[3]?[c] -= sumG * scale[c] * inv
                g[4]?[c] -= 0.5 * sumGX * scale[c] * inv * inv * inv
            }
        }
    }

    public func multiplyAdds(inputs: [[Int]], output: [Int]) -> Int { output.elementCount }
}
