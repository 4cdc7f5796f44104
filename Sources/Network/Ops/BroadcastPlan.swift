/// A `Broadcast` planned once per shape, so binary ops allocate nothing per call.
final class BroadcastPlan {
    let broadcast: Broadcast
    init(_ a: [Int], _ b: [Int]) { broadcast = Broadcast(a, b)! }
}

/// The output shape of a two-input broadcasting op, or a shape error naming it.
func broadcastShape(_ inputs: [[Int]], op: String) throws -> [Int] {
    guard inputs.count == 2, let b = Broadcast(inputs[0], inputs[1]) else {
        throw NetworkError.shapeMismatch(op: op, detail: "\(inputs) do not broadcast")
    }
    return b.output
}
