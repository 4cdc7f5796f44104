import Tensors

/// A computation graph: values (inputs, constants, intermediate results) and the nodes that make them.
public struct Graph: Sendable {
    /// A named tensor in the graph.
    public struct Value: Sendable {
        public var name: String
        public var shape: [Int]
        /// The data of weights and other initializers; nil for computed values and inputs.
        public var constant: Tensor?
        public init(name: String, shape: [Int], constant: Tensor? = nil) {
            self.name = name; self.shape = shape; self.constant = constant
        }
    }

    /// One op application producing one value.
    public struct Node: Sendable {
        public var name: String
        public var op: any Op
        public var inputs: [Int]
        public var output: Int
        public init(name: String, op: any Op, inputs: [Int], output: Int) {
            self.name = name; self.op = op; self.inputs = inputs; self.output = output
        }
    }

    public private(set) var values: [Value] = []
    /// Nodes in a valid execution (topological) order.
    public private(set) var nodes: [Node] = []
    /// The graph's non-constant inputs (an image model has exactly one).
    public private(set) var inputs: [Int] = []
    public var outputs: [Int] = []
    private var index: [String: Int] = [:]
    /// No computed tensor, and no whole session plan (see `plannedBytes`), may exceed this many bytes.
    public var memoryLimit = MemoryLimit.defaultBytes

    public init() {}

    /// Adds a graph input with a fixed shape.
    @discardableResult
    public mutating func addInput(_ name: String, shape: [Int]) -> Int {
        let id = addValue(Value(name: name, shape: shape))
        inputs.append(id)
        return id
    }

    /// Adds a constant (weights, biases).
    @discardableResult
    public mutating func addConstant(_ name: String, _ tensor: Tensor) -> Int {
        addValue(Value(name: name, shape: tensor.shape, constant: tensor))
    }

    /// Moves the constants that nodes read, except `keeping`, into one buffer (each at a 64-byte boundary) and makes
    /// each a view of it: the weights a pass streams are then one mapping on huge pages (`Tensor`), instead of
    /// hundreds of small blocks on 4 KB pages. The values are copied; the graph no longer holds the originals.
    public mutating func gatherConstants(keeping: Set<ObjectIdentifier> = []) {
        var read = Set<Int>()
        for n in nodes { read.formUnion(n.inputs) }
        let ids = read.sorted().filter { values[$0].constant.map { !keeping.contains(ObjectIdentifier($0)) } ?? false }
        guard !ids.isEmpty else { return }
        for (id, v) in zip(ids, Tensor.contiguous(ids.map { values[$0].constant!.shape })) {
            v.data.update(from: values[id].constant!.data, count: v.count)
            values[id].constant = v
        }
    }

    /// Appends a node whose inputs already exist; infers and returns its output value.
    @discardableResult
    public mutating func addNode(_ name: String, _ op: any Op, inputs: [Int], output: String) throws -> Int {
        let shape = try op.outputShape(inputs.map { values[$0].shape })
        try checkComputed(shape, name: output, op: op.kind)
        let id = addValue(Value(name: output, shape: shape))
        nodes.append(Node(name: name, op: op, inputs: inputs, output: id))
        return id
    }

    private mutating func addValue(_ v: Value) -> Int {
        values.append(v)
        index[v.name] = values.count - 1
        return values.count - 1
    }

    /// The id of the value called `name`.
    public func id(of name: String) throws -> Int {
        guard let i = index[name] else { throw NetworkError.unknownValue(name, known: layerNames) }
        return i
    }

    /// Whether a value with that name exists.
    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// Names of all computed values (the layers a user can look at), in execution order.
    public var layerNames: [String] { nodes.map { values[$0.output].name } }

    /// The node that produces each value, or nil for inputs and constants.
    public var producers: [Int?] {
        var p = [Int?](repeating: nil, count: values.count)
        for (i, n) in nodes.enumerated() { p[n.output] = i }
        return p
    }

    /// Replaces the op and inputs of node `i` (for load-time rewrites such as folding BatchNorm).
    public mutating func replaceNode(_ i: Int, op: any Op, inputs: [Int]) {
        nodes[i].op = op
        nodes[i].inputs = inputs
    }

    /// Removes node `i`, making its consumers read `replacement` instead of its output.
    public mutating func removeNode(_ i: Int, forwardingTo replacement: Int) {
        let dead = nodes[i].output
        nodes.remove(at: i)
        for j in nodes.indices { nodes[j].inputs = nodes[j].inputs.map { $0 == dead ? replacement : $0 } }
        outputs = outputs.map { $0 == dead ? replacement : $0 }
        // The surviving value takes the removed one's name, so users keep addressing it as before.
        index[values[replacement].name] = nil
        values[replacement].name = values[dead].name
        index[values[dead].name] = replacement
        values[dead].name = "<removed \(values[dead].name)>"
    }

    /// Re-infers every computed value's shape for new input shapes (e.g. another image size).
    public mutating func reshapeInputs(_ shapes: [[Int]]) throws {
        precondition(shapes.count == inputs.count, "reshapeInputs: \(shapes.count) shapes for \(inputs.count) inputs")
        for (id, s) in zip(inputs, shapes) {
            try MemoryLimit.check(s, what: "input '\(values[id].name)'", limit: memoryLimit)
            values[id].shape = s
        }
        for n in nodes {
            let shape = try n.op.outputShape(n.inputs.map { values[$0].shape })
            try checkComputed(shape, name: values[n.output].name, op: n.op.kind)
            values[n.output].shape = shape
        }
        try checkPlan()
    }

    /// A computed value must be non-empty and fit under the memory limit.
    private func checkComputed(_ shape: [Int], name: String, op: String) throws {
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw NetworkError.shapeMismatch(op: op, detail: "output '\(name)' would be empty or negative: \(shape)")
        }
        try MemoryLimit.check(shape, what: "output '\(name)'", limit: memoryLimit)
    }

    /// Bytes a `Session` over this graph allocates: every computed value and input, its gradient
    /// buffer (backward), and each op's planned scratch. Constants are already in memory and not counted.
    public func plannedBytes() -> Int? {
        var total = 0
        func add(_ b: Int?) -> Bool {
            guard let b else { return false }
            let (t, o) = total.addingReportingOverflow(b)
            total = t
            return !o
        }
        for v in values where v.constant == nil {
            guard let b = MemoryLimit.floatBytes(v.shape), add(b), add(b) else { return nil }
        }
        for n in nodes {
            guard add(n.op.scratchBytes(inputs: n.inputs.map { values[$0].shape }, output: values[n.output].shape)) else { return nil }
        }
        return total
    }

    /// Throws `NetworkError.tooLarge` when a session's plan (see `plannedBytes`) exceeds `memoryLimit`.
    public func checkPlan() throws {
        let bytes = plannedBytes()
        guard let bytes, bytes <= memoryLimit else {
            let size = inputs.first.map { " for input \(values[$0].shape)" } ?? ""
            throw NetworkError.tooLarge(what: "the session plan\(size)", bytes: bytes, limit: memoryLimit)
        }
    }

    /// Ids of the values that `target` depends on (including itself).
    public func ancestors(of target: Int) -> Set<Int> {
        let prod = producers
        var seen: Set<Int> = [target]
        var stack = [target]
        while let v = stack.popLast() {
            guard let n = prod[v] else { continue }
            for i in nodes[n].inputs where !seen.contains(i) { seen.insert(i); stack.append(i) }
        }
        return seen
    }
}
