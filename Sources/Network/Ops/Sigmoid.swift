import Foundation
import Tensors

/// ONNX Sigmoid: y = 1 / (1 + e^−x), elementwise.
///
/// Backward: gx += gy · y · (1 − y). Sigmoid is a squashing gate, not a rectifier (its derivative
/// is never zero and it often scales other features, as in squeeze-excitation), so every backward
/// mode passes the true gradient; the deconvnet/guided rectification applies to ReLU-like ops only.
public struct Sigmoid: Op {
    public let kind = "Sigmoid"
    public init() {}

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] { try unaryShape(inputs, op: kind) }

    public func forward(_ a: ForwardArgs) {
        let x = a.inputs[0].data, y = a.output.data
        for i in 0..<a.output.count {
            // Two branches so exp never overflows.
            let v = x[i]
            if v >= 0 {
                y[i] = 1 / (1 + exp(-v))
            } else {
                let e = exp(v)
                y[i] = e / (1 + e)
            }
        }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let y = a.output.data, gy = a.outputGrad.data
        for i in 0..<a.output.count { gx[i] += gy[i] * y[i] * (1 - y[i]) }
    }
}

/// The output shape of a one-input elementwise op, or a shape error naming it.
func unaryShape(_ inputs: [[Int]], op: String) throws -> [Int] {
    guard inputs.count == 1 else { throw NetworkError.shapeMismatch(op: op, detail: "expects 1 input, got \(inputs.count)") }
    return inputs[0]
}
