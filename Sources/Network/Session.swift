import Dispatch
import Tensors

/// Where backward starts: which part of a layer's output the objective is.
public enum Seed: Sendable {
    /// One element: channel c at (y, x). For a rank-2 output [N, K] use y = x = 0 (c is the feature).
    case unit(channel: Int, y: Int, x: Int)
    /// The sum (or mean) of one channel over space.
    case channel(Int, mean: Bool)
    /// One channel weighted by its own (positive) activations: d(½‖relu(a_c)‖²)/da_c. Focuses a
    /// channel's backward image on where the channel fired, as the deep visualization toolbox does.
    case channelActivations(Int)
    /// An arbitrary output gradient with the layer's shape (deep dream, inversion).
    case tensor(Tensor)
}

/// Runs a graph for one set of input shapes: buffers are planned once and reused every call.
///
/// Not thread-safe; give each thread its own session over the same (shared, immutable) graph.
public final class Session {
    public let graph: Graph
    /// The current value of every graph value (constants alias their data).
    public let values: [Tensor]
    private let scratch: [AnyObject?]
    let forwardArgs: [ForwardArgs]
    /// Nodes whose output an earlier node writes through a fused epilogue.
    private let fusedAway: [Bool]
    private var grads: [Tensor?]
    private var ancestorCache: [Int: [Int]] = [:]

    /// Plans buffers for the graph's current shapes.
    public init(graph: Graph) {
        self.graph = graph
        let vals = graph.values.map { $0.constant ?? Tensor(shape: $0.shape) }
        values = vals
        var sc: [AnyObject?] = []
        var fa: [ForwardArgs] = []
        for n in graph.nodes {
            let s = n.op.makeScratch(inputs: n.inputs.map { graph.values[$0].shape }, output: graph.values[n.output].shape)
            sc.append(s)
            fa.append(ForwardArgs(inputs: n.inputs.map { vals[$0] }, output: vals[n.output], scratch: s))
        }
        // Fuse Conv → Clamp when the clamp is the conv output's only consumer and runs right after it.
        var skip = [Bool](repeating: false, count: graph.nodes.count)
        var consumers = [Int](repeating: 0, count: vals.count)
        for n in graph.nodes { for i in n.inputs { consumers[i] += 1 } }
        for o in graph.outputs { consumers[o] += 1 }
        for i in graph.nodes.indices.dropLast() {
            let n = graph.nodes[i], next = graph.nodes[i + 1]
            guard n.op.fusesClamp, let clamp = next.op as? Clamp, next.inputs == [n.output], consumers[n.output] == 1 else { continue }
            fa[i].epilogue = ClampEpilogue(low: clamp.low, high: clamp.high, output: vals[next.output])
            skip[i + 1] = true
        }
        fusedAway = skip
        scratch = sc
        forwardArgs = fa
        grads = Array(repeating: nil, count: vals.count)
    }

    /// The buffer of the graph's first input; write the image here, then call `forward`.
    public var input: Tensor { values[graph.inputs[0]] }

    /// The current contents of a named value.
    public func value(_ name: String) throws -> Tensor { values[try graph.id(of: name)] }

    /// Runs every node (or only those `upTo` needs), reading whatever the input buffers hold.
    public func forward(upTo target: Int? = nil) {
        if let target {
            for i in nodeIndices(for: target) where !fusedAway[i] { graph.nodes[i].op.forward(forwardArgs[i]) }
        } else {
            for (i, n) in graph.nodes.enumerated() where !fusedAway[i] { n.op.forward(forwardArgs[i]) }
        }
    }

    /// Copies `image` into the first input and runs the whole graph.
    public func run(_ image: Tensor) {
        input.assign(image)
        forward()
    }

    /// Indices of the nodes that `target` depends on, in execution order.
    public func nodeIndices(for target: Int) -> [Int] {
        if let c = ancestorCache[target] { return c }
        let anc = graph.ancestors(of: target)
        let list = graph.nodes.indices.filter { anc.contains(graph.nodes[$0].output) }
        ancestorCache[target] = list
        return list
    }

    /// Backpropagates `seed` on `layer` to the first graph input and returns d(seed)/d(input).
    ///
    /// Uses the values of the preceding `forward`. Only nodes between the input and `layer` run,
    /// and no weight gradients are computed.
    public func backward(from layer: Int, seed: Seed, mode: BackwardMode = .gradient) throws -> Tensor {
        let inputID = graph.inputs[0]
        let nodeList = nodeIndices(for: layer)
        // Values that depend on the input: only they carry gradient.
        var live = Set<Int>([inputID])
        for i in nodeList where graph.nodes[i].inputs.contains(where: live.contains) { live.insert(graph.nodes[i].output) }
        guard live.contains(layer) else {
            throw NetworkError.notDifferentiable(layer: graph.values[layer].name, input: graph.values[inputID].name)
        }
        for v in live {
            if grads[v] == nil { grads[v] = Tensor(shape: graph.values[v].shape) } else { grads[v]!.fill(0) }
        }
        try setSeed(seed, on: layer, grad: grads[layer]!)
        for i in nodeList.reversed() {
            let n = graph.nodes[i]
            guard live.contains(n.output) else { continue }
            let args = BackwardArgs(
                inputs: forwardArgs[i].inputs, output: forwardArgs[i].output, outputGrad: grads[n.output]!,
                inputGrads: n.inputs.map { live.contains($0) ? grads[$0] : nil }, mode: mode, scratch: scratch[i])
            n.op.backward(args)
        }
        return grads[inputID]!
    }

    private func setSeed(_ seed: Seed, on layer: Int, grad: Tensor) throws {
        let shape = graph.values[layer].shape
        let c = shape.count >= 2 ? shape[1] : shape.elementCount
        let h = shape.count >= 3 ? shape[2] : 1
        let w = shape.count >= 4 ? shape[3] : 1
        let name = graph.values[layer].name
        switch seed {
        case let .unit(ch, y, x):
            guard (0..<c).contains(ch), (0..<h).contains(y), (0..<w).contains(x) else {
                throw NetworkError.unitOutOfRange(layer: name, shape: shape, unit: [ch, y, x])
            }
            grad[(ch * h + y) * w + x] = 1
        case let .channel(ch, mean):
            guard (0..<c).contains(ch) else { throw NetworkError.unitOutOfRange(layer: name, shape: shape, unit: [ch]) }
            let v: Float = mean ? 1 / Float(h * w) : 1
            for i in 0..<(h * w) { grad[ch * h * w + i] = v }
        case let .channelActivations(ch):
            guard (0..<c).contains(ch) else { throw NetworkError.unitOutOfRange(layer: name, shape: shape, unit: [ch]) }
            let a = values[layer]
            for i in 0..<(h * w) { grad[ch * h * w + i] = max(a[ch * h * w + i], 0) }
        case let .tensor(t):
            guard t.count == grad.count else {
                throw NetworkError.shapeMismatch(op: "seed", detail: "\(t.shape) for layer '\(name)' of shape \(shape)")
            }
            grad.assign(t)
        }
    }
}

extension Session {
    /// Mean milliseconds per node over `runs` forward passes, for finding where the time goes.
    public func profile(runs: Int) -> [Double] {
        var t = [Double](repeating: 0, count: graph.nodes.count)
        for _ in 0..<runs {
            for (i, n) in graph.nodes.enumerated() where !fusedAway[i] {
                let t0 = DispatchTime.now().uptimeNanoseconds
                n.op.forward(forwardArgs[i])
                t[i] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            }
        }
        return t.map { $0 / Double(runs) }
    }
}
