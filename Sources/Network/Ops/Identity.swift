import Tensors

/// ONNX Identity, and Dropout at inference: y = x; backward passes gy through unchanged.
///
/// Dropout's optional `ratio` / `training_mode` inputs are accepted and ignored (inference only),
/// and its optional mask output is not produced.
public struct Identity: Op {
    public let kind: String

    /// ONNX Dropout at inference.
    public static let dropout = Identity(kind: "Dropout")

    /// An identity; `kind` names the ONNX op it stands for ("Identity" or "Dropout").
    public init(kind: String = "Identity") { self.kind = kind }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard let first = inputs.first, kind == "Dropout" || inputs.count == 1 else {
            throw NetworkError.shapeMismatch(op: kind, detail: "expects 1 input, got \(inputs.count)")
        }
        return first
    }

    public func forward(_ a: ForwardArgs) { a.output.assign(a.inputs[0]) }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let gy = a.outputGrad.data
        for i in 0..<a.output.count { gx[i] += gy[i] }
    }
}
