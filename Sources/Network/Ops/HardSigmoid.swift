import Tensors

/// ONNX HardSigmoid: y = max(0, min(1, alpha · x + beta)), elementwise (defaults 0.2, 0.5).
///
/// Backward: gx += alpha · gy where 0 < alpha · x + beta < 1. Like Sigmoid it is a gate, not a
/// rectifier of features (MobileNetV3 uses it to scale channels), so every backward mode passes
/// the true gradient.
public struct HardSigmoid: Op {
    public let kind = "HardSigmoid"
    /// Slope.
    public let alpha: Float
    /// Offset.
    public let beta: Float

    /// A hard sigmoid with ONNX's default slope 0.2 and offset 0.5.
    public init(alpha: Float = 0.2, beta: Float = 0.5) { self.alpha = alpha; self.beta = beta }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] { try unaryShape(inputs, op: kind) }

    public func forward(_ a: ForwardArgs) {
        let x = a.inputs[0].data, y = a.output.data, al = alpha, be = beta
        for i in 0..<a.output.count { y[i] = min(max(al * x[i] + be, 0), 1) }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let x = a.inputs[0].data, gy = a.outputGrad.data, al = alpha, be = beta
        for i in 0..<a.output.count {
            let t = al * x[i] + be
            if t > 0 && t < 1 { gx[i] += al * gy[i] }
        }
    }
}
