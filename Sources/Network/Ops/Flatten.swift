import Tensors

/// ONNX Flatten: reshapes to 2-D [d0·…·d(axis−1), d(axis)·…]; the data is unchanged.
public struct Flatten: Op {
    public let kind = "Flatten"
    public let axis: Int
    public init(axis: Int = 1) { self.axis = axis }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw NetworkError.shapeMismatch(op: kind, detail: "expects 1 input") }
        let s = inputs[0]
        let ax = axis < 0 ? axis + s.count : axis
        guard (0...s.count).contains(ax) else { throw NetworkError.shapeMismatch(op: kind, detail: "axis \(axis) for rank \(s.count)") }
        return [Array(s[..<ax]).elementCount, Array(s[ax...]).elementCount]
    }

    public func forward(_ a: ForwardArgs) { a.output.assign(a.inputs[0]) }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0] else { return }
        for i in 0..<gx.count { gx[i] += a.outputGrad[i] }
    }
}
