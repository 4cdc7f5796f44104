import Foundation
import Tensors

/// ONNX LRN (AlexNet's cross-channel local response normalization), for N×C×… inputs:
/// s[c] = bias + alpha/size · Σ_{i ∈ W(c)} x[i]², y[c] = x[c] · s[c]^−beta, where
/// W(c) = [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] ∩ [0, C). Defaults alpha 1e-4, beta 0.75, bias 1.
///
/// Backward: gx[j] = gy[j]·s[j]^−β − (2αβ/size)·x[j]·Σ_{c : j ∈ W(c)} gy[c]·y[c]/s[c].
/// True gradient in every mode (a smooth normalization, not a rectifier).
public struct LRN: Op {
    public let kind = "LRN"
    /// Channels in the window.
    public let size: Int
    /// Scale of the mean square.
    public let alpha: Float
    /// Exponent.
    public let beta: Float
    /// Added before the exponent.
    public let bias: Float

    /// An LRN over `size` channels (required) with ONNX's default alpha, beta and bias.
    public init(size: Int, alpha: Float = 1e-4, beta: Float = 0.75, bias: Float = 1) {
        self.size = size; self.alpha = alpha; self.beta = beta; self.bias = bias
    }

    /// s and s^−β from forward, and a same-sized temporary for backward.
    final class Scratch {
        let scale: UnsafeMutablePointer<Float>, power: UnsafeMutablePointer<Float>, temp: UnsafeMutablePointer<Float>
        init(count: Int) {
            scale = .allocate(capacity: max(count, 1))
            power = .allocate(capacity: max(count, 1))
            temp = .allocate(capacity: max(count, 1))
        }
        deinit { scale.deallocate(); power.deallocate(); temp.deallocate() }
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1, inputs[0].count >= 2, size >= 1 else {
            throw NetworkError.shapeMismatch(op: kind, detail: "needs one N×C×… input and size ≥ 1, got \(inputs), size \(size)")
        }
        return inputs[0]
    }

    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? { Scratch(count: output.elementCount) }

    /// Channels before / after c in the window.
    private var reach: (before: Int, after: Int) { ((size - 1) / 2, size / 2) }

    public func forward(_ a: ForwardArgs) {
        let sc = a.scratch as! Scratch, s = sc.scale, q = sc.power
        let shape = a.output.shape, channels = shape[1], plane = Array(shape[2...]).elementCount
        let x = a.inputs[0].data, y = a.output.data, k = alpha / Float(size), (before, after) = reach
        for n in 0..<shape[0] {
            let base = n * channels * plane
            for c in 0..<channels {
                let dst = s + base + c * plane
                dst.update(repeating: 0, count: plane)
                for i in max(0, c - before)...min(channels - 1, c + after) {
                    let src = x + base + i * plane
                    for p in 0..<plane { dst[p] += src[p] * src[p] }
                }
                let o = base + c * plane
                for p in 0..<plane { dst[p] = bias + k * dst[p] }
                negativePower(dst, q + o, plane)
                for p in o..<(o + plane) { y[p] = x[p] * q[p] }
            }
        }
    }

    /// out[i] = s[i]^−β; AlexNet's β = 0.75 as 1/(√s·√√s), several times faster than `pow`.
    private func negativePower(_ s: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        if beta == 0.75 {
            for i in 0..<n { let r = s[i].squareRoot(); out[i] = 1 / (r * r.squareRoot()) }
        } else {
            for i in 0..<n { out[i] = pow(s[i], -beta) }
        }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let sc = a.scratch as! Scratch, s = sc.scale, q = sc.power, t = sc.temp
        let shape = a.output.shape, channels = shape[1], plane = Array(shape[2...]).elementCount
        let x = a.inputs[0].data, y = a.output.data, gy = a.outputGrad.data
        let k = 2 * alpha * beta / Float(size), (before, after) = reach
        for i in 0..<a.output.count { t[i] = gy[i] * y[i] / s[i] }
        for n in 0..<shape[0] {
            let base = n * channels * plane
            for j in 0..<channels {
                let o = base + j * plane
                // j ∈ W(c) exactly when c ∈ [j − after, j + before].
                for p in 0..<plane { gx[o + p] += gy[o + p] * q[o + p] }
                for c in max(0, j - after)...min(channels - 1, j + before) {
                    let tc = t + base + c * plane
                    for p in 0..<plane { gx[o + p] -= k * x[o + p] * tc[p] }
                }
            }
        }
    }
}
