import Foundation
import Tensors

/// ONNX Softmax: y = exp(x − max) / Σ exp(x − max) along `axis` (opset 13 semantics, default −1).
///
/// With `coercedTo2D` (opsets 1–12, default axis 1) the sum runs over all dimensions from `axis`
/// on. Backward: gx += y · (gy − Σ gy·y) over the same slice; true gradient in every mode.
public struct Softmax: Op {
    public let kind = "Softmax"
    /// The axis normalized over; negative counts from the end.
    public let axis: Int
    /// Opset < 13: normalize over all dimensions from `axis` on.
    public let coercedTo2D: Bool

    /// A softmax over `axis`; pass `coercedTo2D: true` (and axis 1 by default) for opset < 13.
    public init(axis: Int = -1, coercedTo2D: Bool = false) { self.axis = axis; self.coercedTo2D = coercedTo2D }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw NetworkError.shapeMismatch(op: kind, detail: "expects 1 input") }
        let r = inputs[0].count
        guard (-r..<r).contains(axis) else { throw NetworkError.shapeMismatch(op: kind, detail: "axis \(axis) for rank \(r)") }
        return inputs[0]
    }

    /// (outer, n, inner): softmax runs over n elements spaced `inner` apart.
    private func layout(_ s: [Int]) -> (outer: Int, n: Int, inner: Int) {
        let ax = axis < 0 ? axis + s.count : axis
        let outer = Array(s[..<ax]).elementCount
        if coercedTo2D { return (outer, Array(s[ax...]).elementCount, 1) }
        return (outer, s[ax], Array(s[(ax + 1)...]).elementCount)
    }

    public func forward(_ a: ForwardArgs) {
        let (outer, n, inner) = layout(a.output.shape)
        let x = a.inputs[0].data, y = a.output.data
        for o in 0..<outer {
            for j in 0..<inner {
                let base = o * n * inner + j
                var m = -Float.infinity
                for k in 0..<n { m = max(m, x[base + k * inner]) }
                var sum: Float = 0
                for k in 0..<n {
                    let e = exp(x[base + k * inner] - m)
                    y[base + k * inner] = e
                    sum += e
                }
                let inv = 1 / sum
                for k in 0..<n { y[base + k * inner] *= inv }
            }
        }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let (outer, n, inner) = layout(a.output.shape)
        let y = a.output.data, gy = a.outputGrad.data
        for o in 0..<outer {
            for j in 0..<inner {
                let base = o * n * inner + j
                var dot: Float = 0
                for k in 0..<n { dot += gy[base + k * inner] * y[base + k * inner] }
                for k in 0..<n {
                    let i = base + k * inner
                    gx[i] += y[i] * (gy[i] - dot)
                }
            }
        }
    }
}
