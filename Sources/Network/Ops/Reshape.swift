import Tensors

/// ONNX Reshape with the target shape as an attribute (the importer reads it from the constant
/// `shape` input): 0 copies the input's dimension at that index, −1 is inferred from the count.
///
/// With `allowZero` (opset 14), 0 means an empty dimension instead. The data is copied unchanged;
/// backward adds gy back, true gradient in every mode.
public struct Reshape: Op {
    public let kind = "Reshape"
    /// The target shape: 0 copies the input dimension, −1 is inferred.
    public let shape: [Int]
    /// Whether 0 means an empty dimension (ONNX allowzero).
    public let allowZero: Bool

    /// A reshape to `shape` (0 = copy, −1 = infer; ONNX default allowzero = 0).
    public init(shape: [Int], allowZero: Bool = false) { self.shape = shape; self.allowZero = allowZero }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count >= 1 else { throw NetworkError.shapeMismatch(op: kind, detail: "no input") }
        let x = inputs[0]
        var out = shape
        for (i, d) in shape.enumerated() where d == 0 && !allowZero {
            guard i < x.count else { throw NetworkError.shapeMismatch(op: kind, detail: "0 at index \(i) of \(shape) for input \(x)") }
            out[i] = x[i]
        }
        let inferred = out.indices.filter { out[$0] == -1 }
        guard inferred.count <= 1, out.allSatisfy({ $0 >= -1 }) else {
            throw NetworkError.shapeMismatch(op: kind, detail: "invalid target shape \(shape)")
        }
        // Checked products: a target shape read from a file may overflow Int.
        guard let total = MemoryLimit.elementCount(x), let known = MemoryLimit.elementCount(out.filter { $0 != -1 }) else {
            throw NetworkError.shapeMismatch(op: kind, detail: "the element count of target \(shape) overflows")
        }
        if let i = inferred.first {
            guard known > 0, total % known == 0 else {
                throw NetworkError.shapeMismatch(op: kind, detail: "cannot infer -1 in \(shape) for input \(x)")
            }
            out[i] = total / known
        } else {
            guard known == total else {
                throw NetworkError.shapeMismatch(op: kind, detail: "\(x) has \(total) elements, target \(out) has \(known)")
            }
        }
        return out
    }

    public func forward(_ a: ForwardArgs) { a.output.assign(a.inputs[0]) }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let gy = a.outputGrad.data
        for i in 0..<a.output.count { gx[i] += gy[i] }
    }
}
