import NeuralNetwork
import Tensors

/// A graph of one node: input `wrt` is the graph input (the one backward differentiates),
/// the other inputs are constants. Returns the graph and the node's output id.
public func singleNodeGraph(_ op: any Op, inputs: [Tensor], wrt: Int = 0) throws -> (Graph, Int) {
    var g = Graph()
    var ids = [Int](repeating: 0, count: inputs.count)
    ids[wrt] = g.addInput("x\(wrt)", shape: inputs[wrt].shape)
    for (i, t) in inputs.enumerated() where i != wrt { ids[i] = g.addConstant("c\(i)", t.copy()) }
    let y = try g.addNode(op.kind, op, inputs: ids, output: "y")
    g.outputs = [y]
    return (g, y)
}

/// Runs `op` forward on `inputs` and returns a copy of its output.
public func evaluate(_ op: any Op, _ inputs: [Tensor]) throws -> Tensor {
    let (g, y) = try singleNodeGraph(op, inputs: inputs)
    let s = Session(graph: g)
    s.run(inputs[0])
    return s.values[y].copy()
}

/// Runs `op` forward, then backward from `seed` (d objective / d output) in `mode`;
/// returns a copy of the gradient with respect to input `wrt`.
public func backprop(_ op: any Op, _ inputs: [Tensor], seed: Tensor, wrt: Int = 0,
                     mode: BackwardMode = .gradient) throws -> Tensor {
    let (g, y) = try singleNodeGraph(op, inputs: inputs, wrt: wrt)
    let s = Session(graph: g)
    s.run(inputs[wrt])
    return try s.backward(from: y, seed: .tensor(seed), mode: mode).copy()
}
