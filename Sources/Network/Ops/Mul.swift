import Tensors

/// ONNX Mul with multidirectional (numpy) broadcasting: y = a · b.
///
/// Backward: ga += gy · b and gb += gy · a, summed over the broadcast positions. Mul has no
/// ReLU-like gate, so every backward mode passes the true gradient.
public struct Mul: Op {
    public let kind = "Mul"
    public init() {}

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] { try broadcastShape(inputs, op: kind) }

    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? { BroadcastPlan(inputs[0], inputs[1]) }

    public func forward(_ a: ForwardArgs) {
        let x = a.inputs[0].data, z = a.inputs[1].data, y = a.output.data
        (a.scratch as! BroadcastPlan).broadcast.forEach { i, ia, ib in y[i] = x[ia] * z[ib] }
    }

    public func backward(_ a: BackwardArgs) {
        let g = a.outputGrad.data, x = a.inputs[0].data, z = a.inputs[1].data
        let bc = (a.scratch as! BroadcastPlan).broadcast
        if let gx = a.inputGrads[0]?.data { bc.forEach { i, ia, ib in gx[ia] += g[i] * z[ib] } }
        if let gz = a.inputGrads[1]?.data { bc.forEach { i, ia, ib in gz[ib] += g[i] * x[ia] } }
    }

    public func multiplyAdds(inputs: [[Int]], output: [Int]) -> Int { output.elementCount }
}
