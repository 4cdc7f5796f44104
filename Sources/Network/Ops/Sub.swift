import Tensors

/// ONNX Sub with multidirectional (numpy) broadcasting: y = a − b.
///
/// Backward: ga += gy, gb −= gy, summed over the broadcast positions; true gradient in every mode.
public struct Sub: Op {
    public let kind = "Sub"
    public init() {}

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] { try broadcastShape(inputs, op: kind) }

    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? { BroadcastPlan(inputs[0], inputs[1]) }

    public func forward(_ a: ForwardArgs) {
        let x = a.inputs[0].data, z = a.inputs[1].data, y = a.output.data
        (a.scratch as! BroadcastPlan).broadcast.forEach { i, ia, ib in y[i] = x[ia] - z[ib] }
    }

    public func backward(_ a: BackwardArgs) {
        let g = a.outputGrad.data
        let bc = (a.scratch as! BroadcastPlan).broadcast
        if let gx = a.inputGrads[0]?.data { bc.forEach { i, ia, _ in gx[ia] += g[i] } }
        if let gz = a.inputGrads[1]?.data { bc.forEach { i, _, ib in gz[ib] -= g[i] } }
    }
}
