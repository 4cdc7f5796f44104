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
    /// Nodes whose output an earlier node writes through a fused epilogue, or that a `SmallBlock`, an `ExpandDepthwise` or
    /// a `PooledHead` computes.
    private let fusedAway: [Bool]
    /// Expand → depthwise pairs computed in bands (`outputsOnly` only), by the expand node's index; the depthwise node
    /// is two after it (the expand's clamp between them).
    private let bands: [Int: ExpandDepthwise]
    /// Inverted-residual blocks on small maps computed as one step (`outputsOnly` only), by the expand node's index.
    private let blocks: [Int: SmallBlock]
    /// 1×1 convolutions + clamp read only by a global average pool, computed with it (`outputsOnly` only), by the
    /// convolution's index; the pool is two after it.
    private let heads: [Int: PooledHead]
    private let ownGradients = GradientWorkspace()
    private var ancestorCache: [Int: [Int]] = [:]

    /// Values whose storage an in-place fused activation overwrote, or that a later value's buffer reused (see `init`).
    public let droppedValues: Set<Int>
    /// Whether intermediate values share buffers by lifetime (`outputsOnly`): no backward pass, only outputs are read.
    public let outputsOnly: Bool

    /// Plans buffers for the graph's current shapes.
    ///
    /// Conv → Clamp pairs are fused (the clamp runs while the conv output is in cache). With
    /// `activationsInPlace`, the pair also shares one buffer, saving a write and a read of every
    /// pre-activation map; those pre-activation values (e.g. `blocks.3.expand.bn`) are then not kept,
    /// and asking for them throws. Backward is unaffected: a clamp's gradient mask is the same whether
    /// computed from its input or its output.
    ///
    /// With `outputsOnly` (implies `activationsInPlace`; for classify and the forward benchmark), only the graph's
    /// inputs and outputs keep their own buffers: every other value takes a free buffer when its node runs and gives
    /// it back after its last reader, so a forward pass touches a few megabytes that stay in cache instead of one
    /// fresh buffer per layer (28 MB of activations for EfficientNet-Lite0). Reading those values, and backward, throw.
    /// `keeping` names values an `outputsOnly` session keeps readable as if they were outputs (the layers a viewer
    /// shows): nothing fuses across them and they keep their own buffers, so the rest still fuses and shares.
    public init(graph: Graph, activationsInPlace: Bool = false, outputsOnly: Bool = false, keeping: [Int] = []) {
        self.graph = graph
        let kept = Set(graph.outputs + keeping)
        var consumers = [Int](repeating: 0, count: graph.values.count)
        for n in graph.nodes { for i in n.inputs { consumers[i] += 1 } }
        for o in kept { consumers[o] += 1 }
        // Conv → Clamp where the clamp is the conv output's only consumer and runs right after it.
        var fusedNext: [Int: Clamp] = [:]
        for i in graph.nodes.indices.dropLast() {
            let n = graph.nodes[i], next = graph.nodes[i + 1]
            guard n.op.fusesClamp, let clamp = next.op as? Clamp, next.inputs == [n.output], consumers[n.output] == 1 else { continue }
            fusedNext[i] = clamp
        }
        // Expand 1×1 (+ clamp) → depthwise, the expanded value read only by the depthwise node: candidates for
        // `ExpandDepthwise` (which decides once the kernels are planned), by the expand node's index.
        var candidates: [Int] = []
        if outputsOnly {
            for i in graph.nodes.indices where fusedNext[i] != nil && i + 2 < graph.nodes.count {
                let expanded = graph.nodes[i + 1].output
                guard graph.nodes[i + 2].inputs.first == expanded, consumers[expanded] == 1, !kept.contains(expanded) else { continue }
                candidates.append(i)
            }
        }
        // Expand (+ clamp) → depthwise (+ clamp) → project 1×1 (→ Add of the block's input), each value read only by the
        // next node and every weight constant: candidates for `SmallBlock`, by the expand node's index and its last node.
        var blockCandidates: [Int: Int] = [:]
        for i in candidates where fusedNext[i + 2] != nil && i + 4 < graph.nodes.count {
            let dw = graph.nodes[i + 3].output, project = graph.nodes[i + 4]
            guard project.inputs.first == dw, consumers[dw] == 1, !kept.contains(dw),
                  [i, i + 2, i + 4].allSatisfy({ graph.nodes[$0].inputs.dropFirst().allSatisfy { graph.values[$0].constant != nil } })
            else { continue }
            var last = i + 4
            if i + 5 < graph.nodes.count, graph.nodes[i + 5].op is Add, consumers[project.output] == 1,
               !kept.contains(project.output), Set(graph.nodes[i + 5].inputs) == [project.output, graph.nodes[i].inputs[0]] {
                last = i + 5
            }
            blockCandidates[i] = last
        }
        // Conv (+ clamp) → GlobalAveragePool, the clamped map read only by the pool: candidates for `PooledHead`.
        var headCandidates: [Int] = []
        if outputsOnly {
            for i in fusedNext.keys where i + 2 < graph.nodes.count && graph.nodes[i + 2].op is GlobalAveragePool {
                let clamped = graph.nodes[i + 1].output
                guard graph.nodes[i + 2].inputs == [clamped], consumers[clamped] == 1, !kept.contains(clamped),
                      graph.nodes[i].inputs.dropFirst().allSatisfy({ graph.values[$0].constant != nil }) else { continue }
                headCandidates.append(i)
            }
        }
        var storage = Array(graph.values.indices)
        if activationsInPlace || outputsOnly {
            for i in fusedNext.keys { storage[graph.nodes[i].output] = graph.nodes[i + 1].output }
        }
        self.outputsOnly = outputsOnly
        var owned: [Int: Tensor] = [:]
        var shared = Set<Int>()
        if outputsOnly {
            (owned, shared) = Self.shareBuffers(graph, storage: storage, pinning: kept, groups: candidates.map { ($0, blockCandidates[$0] ?? $0 + 2) } + headCandidates.map { ($0, $0 + 2) })
        } else {
            for (id, v) in graph.values.enumerated() where storage[id] == id {
                owned[id] = v.constant ?? Tensor(shape: v.shape)
            }
        }
        droppedValues = Set(graph.values.indices.filter { storage[$0] != $0 || shared.contains(storage[$0]) })
        let vals = graph.values.indices.map { id in
            let buffer = owned[storage[id]]!
            return buffer.shape == graph.values[id].shape ? buffer : Tensor(viewing: buffer, shape: graph.values[id].shape)
        }
        values = vals
        var sc: [AnyObject?] = []
        var fa: [ForwardArgs] = []
        var skip = [Bool](repeating: false, count: graph.nodes.count)
        for (i, n) in graph.nodes.enumerated() {
            let s = n.op.makeScratch(inputs: n.inputs.map { graph.values[$0].shape }, output: graph.values[n.output].shape)
            sc.append(s)
            var args = ForwardArgs(inputs: n.inputs.map { vals[$0] }, output: vals[n.output], scratch: s)
            if let clamp = fusedNext[i] {
                args.epilogue = ClampEpilogue(low: clamp.low, high: clamp.high, output: vals[graph.nodes[i + 1].output])
                skip[i + 1] = true
            }
            fa.append(args)
        }
        var fusedBlocks: [Int: SmallBlock] = [:]
        for (i, last) in blockCandidates where !skip[i] && !skip[i + 2] && !skip[i + 4] {
            guard let block = SmallBlock(expand: fa[i], depthwise: fa[i + 2], project: fa[i + 4], add: last > i + 4 ? fa[last] : nil)
            else { continue }
            fusedBlocks[i] = block
            for j in [i + 2, i + 4, last] { skip[j] = true }
        }
        let order = fusedBlocks.keys.sorted()
        for (i, t) in zip(order, Tensor.contiguous(order.map { [fusedBlocks[$0]!.packedFloats] })) { fusedBlocks[i]!.pack(into: t) }
        blocks = fusedBlocks
        var pairs: [Int: ExpandDepthwise] = [:]
        for i in candidates where !skip[i] && !skip[i + 2] && fusedBlocks[i] == nil {
            guard let pair = ExpandDepthwise(expand: fa[i], depthwise: fa[i + 2]) else { continue }
            pairs[i] = pair
            skip[i + 2] = true
        }
        bands = pairs
        var pooledHeads: [Int: PooledHead] = [:]
        for i in headCandidates where !skip[i] && !skip[i + 2] {
            guard let head = PooledHead(conv: fa[i], pool: fa[i + 2]) else { continue }
            pooledHeads[i] = head
            skip[i + 2] = true
        }
        heads = pooledHeads
        fusedAway = skip
        scratch = sc
        forwardArgs = fa
    }

    /// For `outputsOnly`: a buffer per stored value, shared by values whose lifetimes do not overlap (greedy, in node
    /// order: a value takes the smallest free buffer large enough, else a new one; it is freed after its last reader).
    /// The inputs of each group's first node (nodes that may run as one, `ExpandDepthwise`) count as read by its
    /// last, so no output of the group takes their buffers while the group still reads them.
    /// Returns the buffers by stored value and the stored values that share.
    private static func shareBuffers(_ graph: Graph, storage: [Int], pinning kept: Set<Int>, groups: [(first: Int, last: Int)]) -> (buffers: [Int: Tensor], shared: Set<Int>) {
        var buffers: [Int: Tensor] = [:]
        let pinned = Set((graph.inputs + kept).map { storage[$0] })
        for (id, v) in graph.values.enumerated() where storage[id] == id && (v.constant != nil || pinned.contains(id)) {
            buffers[id] = v.constant ?? Tensor(shape: v.shape)
        }
        // The node after which each stored value is last read (its producer, if nothing reads it).
        var lastUse: [Int: Int] = [:]
        for (i, n) in graph.nodes.enumerated() {
            lastUse[storage[n.output]] = max(lastUse[storage[n.output]] ?? i, i)
            for v in n.inputs { lastUse[storage[v]] = i }
        }
        for group in groups {
            for v in graph.nodes[group.first].inputs { lastUse[storage[v]] = max(lastUse[storage[v]]!, group.last) }
        }
        var free: [Tensor] = [], shared = Set<Int>()
        for (i, n) in graph.nodes.enumerated() {
            let id = storage[n.output]
            if buffers[id] == nil {
                let count = graph.values[id].shape.elementCount
                if let k = free.indices.filter({ free[$0].count >= count }).min(by: { free[$0].count < free[$1].count }) {
                    buffers[id] = free.remove(at: k)
                } else {
                    buffers[id] = Tensor(shape: [count])
                }
                shared.insert(id)
            }
            for v in Set(n.inputs.map { storage[$0] } + [id]) where lastUse[v] == i && shared.contains(v) {
                free.append(buffers[v]!)
            }
        }
        // Values no node writes (not in a valid graph, but the plan must not depend on that) keep their own.
        for (id, v) in graph.values.enumerated() where storage[id] == id && buffers[id] == nil { buffers[id] = Tensor(shape: v.shape) }
        return (buffers, shared)
    }

    /// The convolutions that run together in bands of rows (`ExpandDepthwise`): expand and depthwise.
    public var bandedNodes: [[String]] { bands.keys.sorted().map { [graph.nodes[$0].name, graph.nodes[$0 + 2].name] } }

    /// The convolutions computed with the global average pool that reads them (`PooledHead`): their names.
    public var pooledHeadNodes: [String] { heads.keys.sorted().map { graph.nodes[$0].name } }

    /// The blocks computed as one step (`SmallBlock`): the names of their expand nodes.
    public var fusedBlockNodes: [String] { blocks.keys.sorted().map { graph.nodes[$0].name } }

    /// The buffer of the graph's first input; write the image here, then call `forward`.
    public var input: Tensor { values[graph.inputs[0]] }

    /// The current contents of a named value.
    public func value(_ name: String) throws -> Tensor {
        let id = try graph.id(of: name)
        guard !droppedValues.contains(id) else { throw NetworkError.notKept(name, reason: outputsOnly ? .buffersShared : .inPlace) }
        return values[id]
    }

    /// Runs every node (or only those `upTo` needs), reading whatever the input buffers hold.
    public func forward(upTo target: Int? = nil) {
        if let target {
            for i in nodeIndices(for: target) where !fusedAway[i] { run(node: i) }
        } else {
            for i in graph.nodes.indices where !fusedAway[i] { run(node: i) }
        }
    }

    @inline(__always)
    private func run(node i: Int) {
        if let block = blocks[i] {
            block.run()
        } else if let pair = bands[i] {
            pair.run()
        } else if let head = heads[i] {
            head.run()
        } else {
            graph.nodes[i].op.forward(forwardArgs[i])
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
    /// and no weight gradients are computed. Gradient buffers come from `gradients` (default: the
    /// session's own); the returned tensor belongs to it and is overwritten by its next backward.
    public func backward(from layer: Int, seed: Seed, mode: BackwardMode = .gradient,
                         gradients: GradientWorkspace? = nil) throws -> Tensor {
        let workspace = gradients ?? ownGradients
        let inputID = graph.inputs[0]
        guard !outputsOnly else { throw NetworkError.notKept(graph.values[layer].name, reason: .buffersShared) }
        guard !droppedValues.contains(layer) else { throw NetworkError.notKept(graph.values[layer].name, reason: .inPlace) }
        if let e = seedError(seed, on: layer) { throw e }
        let nodeList = nodeIndices(for: layer)
        // Values that depend on the input: only they carry gradient.
        var live = Set<Int>([inputID])
        for i in nodeList where graph.nodes[i].inputs.contains(where: live.contains) { live.insert(graph.nodes[i].output) }
        guard live.contains(layer) else {
            throw NetworkError.notDifferentiable(layer: graph.values[layer].name, input: graph.values[inputID].name)
        }
        // A value's gradient is taken from the pool at its first consumer's backward (nodes run in reverse, so every
        // consumer comes before the producer) and goes back after its producer's.
        var grads = [Tensor?](repeating: nil, count: values.count)
        grads[inputID] = workspace.inputGradient(graph.values[inputID].shape)
        let seedGrad = layer == inputID ? grads[inputID]! : workspace.acquire(graph.values[layer].shape)
        grads[layer] = seedGrad
        setSeed(seed, on: layer, grad: seedGrad)
        for i in nodeList.reversed() {
            let n = graph.nodes[i]
            guard live.contains(n.output), let outputGrad = grads[n.output] else { continue }
            // The first writer of input 0's gradient may write it instead of adding to zeros, when the op can and the
            // value is not also another of its inputs.
            var overwrite = false
            if let v = n.inputs.first, live.contains(v), grads[v] == nil, !n.inputs.dropFirst().contains(v) {
                overwrite = n.op.overwritesInputGradient(scratch: scratch[i])
            }
            // An element-wise op's overwriting backward writes over its output gradient, which dies with it: one
            // buffer fewer in the caches (the probe's clamps on 112×112 maps read and wrote three 4.8 MB arrays).
            let inPlace = overwrite && n.op.gradientInPlace && graph.values[n.inputs[0]].shape == graph.values[n.output].shape
            if inPlace { grads[n.inputs[0]] = outputGrad }
            var inputGrads: [Tensor?] = []
            for v in n.inputs {
                guard live.contains(v) else { inputGrads.append(nil); continue }
                if grads[v] == nil { grads[v] = workspace.acquire(graph.values[v].shape, zeroed: !(overwrite && v == n.inputs[0])) }
                inputGrads.append(grads[v])
            }
            var args = BackwardArgs(
                inputs: forwardArgs[i].inputs, output: forwardArgs[i].output, outputGrad: outputGrad,
                inputGrads: inputGrads, mode: mode, scratch: scratch[i])
            args.overwrite = overwrite
            n.op.backward(args)
            grads[n.output] = nil
            if !inPlace { workspace.release(outputGrad) }
        }
        return grads[inputID]!
    }

    /// Why `seed` cannot start backward on `layer`, or nil.
    private func seedError(_ seed: Seed, on layer: Int) -> NetworkError? {
        let shape = graph.values[layer].shape
        let c = shape.count >= 2 ? shape[1] : shape.elementCount
        let h = shape.count >= 3 ? shape[2] : 1
        let w = shape.count >= 4 ? shape[3] : 1
        let name = graph.values[layer].name
        switch seed {
        case let .unit(ch, y, x):
            guard (0..<c).contains(ch), (0..<h).contains(y), (0..<w).contains(x) else {
                return .unitOutOfRange(layer: name, shape: shape, unit: [ch, y, x])
            }
        case let .channel(ch, _), let .channelActivations(ch):
            guard (0..<c).contains(ch) else { return .unitOutOfRange(layer: name, shape: shape, unit: [ch]) }
        case let .tensor(t):
            guard t.count == shape.elementCount else {
                return .shapeMismatch(op: "seed", detail: "\(t.shape) for layer '\(name)' of shape \(shape)")
            }
        }
        return nil
    }

    /// Writes a validated seed into `grad`.
    ///
    /// Deliberately not `throws` (validation is `seedError`): on x86_64 the Swift 6.3 compiler may end
    /// a throwing function's success path with a tail jump to memmove (here from `grad.assign(t)`)
    /// without restoring the error register r12, so the caller sees whatever r12 last held — the seed
    /// tensor — as a thrown error (swiftlang/swift#90477, fixed in LLVM by "Disable tail mem libcalls
    /// in swifterror functions"). Scripts/check-tail-memcalls guards the release binary against it.
    private func setSeed(_ seed: Seed, on layer: Int, grad: Tensor) {
        let shape = graph.values[layer].shape
        let h = shape.count >= 3 ? shape[2] : 1
        let w = shape.count >= 4 ? shape[3] : 1
        switch seed {
        case let .unit(ch, y, x):
            grad[(ch * h + y) * w + x] = 1
        case let .channel(ch, mean):
            let v: Float = mean ? 1 / Float(h * w) : 1
            for i in 0..<(h * w) { grad[ch * h * w + i] = v }
        case let .channelActivations(ch):
            let a = values[layer]
            for i in 0..<(h * w) { grad[ch * h * w + i] = max(a[ch * h * w + i], 0) }
        case let .tensor(t):
            grad.assign(t)
        }
    }
}

extension Session {
    /// Median milliseconds per node over `runs` forward passes, for finding where the time goes.
    public func profile(runs: Int) -> [Double] {
        // Medians, not means: on a shared host one preempted run would otherwise move a node's figure by more than
        // the changes it is read to judge.
        var t = [[Double]](repeating: [], count: graph.nodes.count)
        for _ in 0..<runs {
            for i in graph.nodes.indices where !fusedAway[i] {
                let t0 = DispatchTime.now().uptimeNanoseconds
                run(node: i)
                t[i].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
        }
        return t.map { $0.isEmpty ? 0 : $0.sorted()[$0.count / 2] }
    }
}
