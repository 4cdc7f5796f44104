import Tensors

/// ONNX Concat: joins the inputs along `axis` (negative counts from the end).
///
/// Viewed as [outer, inputs[k].shape[axis] · inner] blocks, forward copies each input's block into
/// its slot of every output row and backward adds the slot back; true gradient in every mode.
public struct Concat: Op {
    public let kind = "Concat"
    /// The axis to join along; negative counts from the end.
    public let axis: Int

    /// A concatenation along `axis` (required by ONNX; no default).
    public init(axis: Int) { self.axis = axis }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard let first = inputs.first else { throw NetworkError.shapeMismatch(op: kind, detail: "no inputs") }
        let ax = axis < 0 ? axis + first.count : axis
        guard (0..<first.count).contains(ax) else {
            throw NetworkError.shapeMismatch(op: kind, detail: "axis \(axis) for rank \(first.count)")
        }
        var out = first
        out[ax] = 0
        for s in inputs {
            guard s.count == first.count, s.indices.allSatisfy({ $0 == ax || s[$0] == first[$0] }) else {
                throw NetworkError.shapeMismatch(op: kind, detail: "\(inputs) differ outside axis \(axis)")
            }
            out[ax] += s[ax]
        }
        return out
    }

    /// The number of rows (product of the dimensions before the axis) of `shape`.
    private func rows(_ shape: [Int]) -> Int {
        Array(shape[..<(axis < 0 ? axis + shape.count : axis)]).elementCount
    }

    public func forward(_ a: ForwardArgs) {
        let outer = rows(a.output.shape), outRow = a.output.count / max(outer, 1)
        var offset = 0
        for x in a.inputs {
            let block = x.count / max(outer, 1)
            for r in 0..<outer { (a.output.data + r * outRow + offset).update(from: x.data + r * block, count: block) }
            offset += block
        }
    }

    public func backward(_ a: BackwardArgs) {
        let outer = rows(a.output.shape), outRow = a.output.count / max(outer, 1)
        var offset = 0
        for (x, g) in zip(a.inputs, a.inputGrads) {
            let block = x.count / max(outer, 1)
            if let gx = g?.data {
                for r in 0..<outer {
                    let src = a.outputGrad.data + r * outRow + offset, dst = gx + r * block
                    for i in 0..<block { dst[i] += src[i] }
                }
            }
            offset += block
        }
    }
}
