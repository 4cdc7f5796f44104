import Tensors

/// ONNX Add with broadcasting: y = a + b.
public struct Add: Op {
    public let kind = "Add"
    public init() {}

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 2, let b = Broadcast(inputs[0], inputs[1]) else {
            throw NetworkError.shapeMismatch(op: kind, detail: "\(inputs) do not broadcast")
        }
        return b.output
    }

    public func forward(_ a: ForwardArgs) {
        let x = a.inputs[0].data, z = a.inputs[1].data, y = a.output.data
        Broadcast(a.inputs[0].shape, a.inputs[1].shape)!.forEach { i, ia, ib in y[i] = x[ia] + z[ib] }
    }

    public func backward(_ a: BackwardArgs) {
        let g = a.outputGrad.data
        let bc = Broadcast(a.inputs[0].shape, a.inputs[1].shape)!
        if let ga = a.inputGrads[0]?.data { bc.forEach { i, ia, _ in ga[ia] += g[i] } }
        if let gb = a.inputGrads[1]?.data { bc.forEach { i, _, ib in gb[ib] += g[i] } }
    }
}
