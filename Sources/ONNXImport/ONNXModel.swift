import Foundation
import NeuralNetwork
import SwiftProtobuf
import Tensors

/// An ONNX model file turned into an engine graph.
public struct ONNXModel: Sendable {
    public let graph: Graph
    /// The default-domain opset the model was exported with.
    public let opset: Int
    public let producer: String

    /// Reads and converts the model at `path`.
    ///
    /// `inputShape` overrides the first input's declared shape (e.g. another image size, or a
    /// symbolic batch dimension); symbolic dimensions otherwise become 1.
    public static func load(path: String, inputShape: [Int]? = nil, memoryLimit: Int = MemoryLimit.defaultBytes) throws -> ONNXModel {
        guard FileManager.default.fileExists(atPath: path) else { throw ONNXImportError.fileNotFound(path) }
        // Size first: a device node (/dev/zero) or a file larger than the memory limit is refused, not read.
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let attributes = try? FileManager.default.attributesOfItem(atPath: resolved)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw ONNXImportError.notONNX(path, reason: "not a regular file")
        }
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= memoryLimit else {
            throw ONNXImportError.refused(path, .tooLarge(what: "the model file", bytes: size, limit: memoryLimit))
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ONNXImportError.notONNX(path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try load(data: data, source: path, inputShape: inputShape, memoryLimit: memoryLimit)
    }

    /// Converts serialized ONNX bytes; `constants` turns the named graph inputs into fixed values.
    /// Every tensor and the session plan at the model's input size must fit in `memoryLimit` bytes.
    public static func load(data: Data, source: String = "model", inputShape: [Int]? = nil,
                            constants: [String: Tensor] = [:], memoryLimit: Int = MemoryLimit.defaultBytes) throws -> ONNXModel {
        guard !data.isEmpty else { throw ONNXImportError.emptyFile(source) }
        let proto: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            proto = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw ONNXImportError.notONNX(source, reason: "protobuf decoding failed: \(error)")
        }
        guard proto.hasGraph, !proto.graph.node.isEmpty else {
            throw ONNXImportError.notONNX(source, reason: "it has no graph nodes")
        }
        let opset = proto.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) } ?? 1
        var builder = GraphBuilder(opset: opset, source: source)
        builder.graph.memoryLimit = memoryLimit
        try builder.addInitializers(proto.graph.initializer, overrides: constants)
        try builder.addInputs(proto.graph.input, firstShape: inputShape, constants: constants)
        try builder.addNodes(proto.graph.node)
        try builder.setOutputs(proto.graph.output)
        // The caller's constants stay the caller's tensors.
        builder.graph.gatherConstants(keeping: Set(constants.values.map(ObjectIdentifier.init)))
        do { try builder.graph.checkPlan() } catch let e as NetworkError { throw ONNXImportError.refused(source, e) }
        return ONNXModel(graph: builder.graph, opset: opset, producer: proto.producerName)
    }
}

/// Walks an ONNX graph in order, building the engine graph.
struct GraphBuilder {
    let opset: Int
    let source: String
    var graph = Graph()
    var constants: [String: ConstantValue] = [:]
    var ids: [String: Int] = [:]

    init(opset: Int, source: String) { self.opset = opset; self.source = source }

    mutating func addInitializers(_ inits: [Onnx_TensorProto], overrides: [String: Tensor]) throws {
        for t in inits {
            let c = try t.decoded(limit: graph.memoryLimit)
            constants[t.name] = c
            ids[t.name] = graph.addConstant(t.name, c.tensor)
        }
        for (name, t) in overrides {
            constants[name] = ConstantValue(tensor: t, ints: nil)   // read as integers (checked) where an op needs them
            ids[name] = graph.addConstant(name, t)
        }
    }

    mutating func addInputs(_ inputs: [Onnx_ValueInfoProto], firstShape: [Int]?, constants given: [String: Tensor]) throws {
        for vi in inputs where ids[vi.name] == nil && given[vi.name] == nil {
            // A symbolic dimension (dim_param, or no value) becomes 1; a declared value must be positive.
            let dims = vi.type.tensorType.shape.dim
            if let bad = dims.first(where: { $0.hasValue && $0.dimValue <= 0 }) {
                throw ONNXImportError.unsupportedTensor(name: vi.name, reason: "input dimension \(bad.dimValue) in \(dims.map(\.dimValue)); dimensions must be positive")
            }
            var shape = dims.map { $0.hasValue ? Int($0.dimValue) : 1 }
            if graph.inputs.isEmpty, let firstShape { shape = firstShape }
            guard vi.type.tensorType.elemType == 1 || vi.type.tensorType.elemType == 0 else {
                throw ONNXImportError.unsupportedTensor(name: vi.name, reason: "graph inputs must be float32")
            }
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw ONNXImportError.unsupportedTensor(name: vi.name, reason: "input shape \(shape) has an empty or negative dimension")
            }
            do throws(NetworkError) { try MemoryLimit.check(shape, what: "input '\(vi.name)'", limit: graph.memoryLimit) } catch {
                throw ONNXImportError.refused(source, error)
            }
            ids[vi.name] = graph.addInput(vi.name, shape: shape)
        }
        guard !graph.inputs.isEmpty else { throw ONNXImportError.notONNX(source, reason: "the graph has no non-constant input") }
    }

    mutating func addNodes(_ nodes: [Onnx_NodeProto]) throws {
        let foldable = BatchNormFolding.candidates(nodes, constants: constants)
        var i = 0
        while i < nodes.count {
            let node = nodes[i]
            if let bn = foldable[i] {
                try addFoldedConv(node, bn: nodes[bn])
                i += 1
                continue
            }
            if foldable.values.contains(i) { i += 1; continue }   // a BatchNorm already folded into its Conv
            if node.opType == "Constant" {
                try addConstantNode(node)
            } else {
                try addNode(node)
            }
            i += 1
        }
    }

    func context(_ node: Onnx_NodeProto) throws -> NodeContext {
        var shapes: [[Int]] = [], consts: [ConstantValue?] = []
        for name in node.input {
            if name.isEmpty { shapes.append([]); consts.append(nil); continue }
            guard let id = ids[name] else {
                throw ONNXImportError.badNode(node: node.name, op: node.opType, reason: "input '\(name)' is not produced by any earlier node")
            }
            shapes.append(graph.values[id].shape)
            consts.append(constants[name])
        }
        return NodeContext(node: node, opset: opset, inputShapes: shapes, constants: consts)
    }

    mutating func addNode(_ node: Onnx_NodeProto) throws {
        guard node.domain.isEmpty || node.domain == "ai.onnx", let spec = OpRegistry.specs[node.opType] else {
            throw ONNXImportError.unsupportedOp(op: (node.domain.isEmpty ? "" : node.domain + ".") + node.opType,
                                                node: node.name.isEmpty ? (node.output.first ?? "?") : node.name,
                                                opset: opset, supported: OpRegistry.supported)
        }
        guard spec.arity.contains(node.input.count) else {
            let range = spec.arity.upperBound == Int.max ? "at least \(spec.arity.lowerBound)"
                : spec.arity.count == 1 ? "\(spec.arity.lowerBound)" : "\(spec.arity.lowerBound) to \(spec.arity.upperBound)"
            throw ONNXImportError.badNode(node: node.name.isEmpty ? (node.output.first ?? "?") : node.name, op: node.opType,
                                          reason: "it has \(node.input.count) inputs; \(node.opType) takes \(range)")
        }
        let ctx = try context(node)
        let op = try spec.make(ctx)
        let positions = spec.dataInputs ?? Array(node.input.indices)
        let inputs = positions.filter { ctx.hasInput($0) }.map { ids[node.input[$0]]! }
        try add(node, op: op, inputs: inputs)
    }

    mutating func add(_ node: Onnx_NodeProto, op: any Op, inputs: [Int]) throws {
        guard let out = node.output.first, !out.isEmpty else {
            throw ONNXImportError.badNode(node: node.name, op: node.opType, reason: "it has no output")
        }
        let name = node.name.isEmpty ? out : node.name
        do {
            ids[out] = try graph.addNode(name, op, inputs: inputs, output: out)
        } catch let e as NetworkError {
            throw ONNXImportError.graph(name, e)
        }
    }

    mutating func addConstantNode(_ node: Onnx_NodeProto) throws {
        guard let attr = node.attribute.first(where: { $0.name == "value" }), let out = node.output.first else {
            throw ONNXImportError.badNode(node: node.name, op: "Constant", reason: "only the 'value' tensor form is supported")
        }
        let c = try attr.t.decoded()
        constants[out] = c
        ids[out] = graph.addConstant(out, c.tensor)
    }

    mutating func addFoldedConv(_ conv: Onnx_NodeProto, bn: Onnx_NodeProto) throws {
        let ctx = try context(conv)
        let op = try OpRegistry.makeConv(ctx)
        // The Conv's shapes are checked before its weights are rescaled (folding indexes them per channel).
        do { _ = try op.outputShape(ctx.inputShapes.filter { !$0.isEmpty }) } catch let e as NetworkError {
            throw ONNXImportError.graph(ctx.name, e)
        }
        let (w, b) = try BatchNormFolding.fold(conv: conv, bn: bn, constants: constants)
        let wid = graph.addConstant(conv.input[1] + ".folded", w)
        let bid = graph.addConstant((conv.input.count > 2 && !conv.input[2].isEmpty ? conv.input[2] : conv.input[1]) + ".bias.folded", b)
        // The folded conv is named after the BatchNorm's output, the value users see in other tools.
        var merged = bn
        merged.name = bn.name.isEmpty ? conv.name : bn.name
        try add(merged, op: op, inputs: [ids[conv.input[0]]!, wid, bid])
    }

    mutating func setOutputs(_ outputs: [Onnx_ValueInfoProto]) throws {
        guard !outputs.isEmpty else { throw ONNXImportError.notONNX(source, reason: "the graph declares no outputs") }
        graph.outputs = try outputs.map { o in
            guard let id = ids[o.name] else {
                throw ONNXImportError.notONNX(source, reason: "graph output '\(o.name)' is not produced by any node")
            }
            return id
        }
    }
}

extension ONNXModel {
    /// The ONNX operator names the importer understands.
    public static var supportedOperators: [String] { OpRegistry.supported + ["BatchNormalization (folded into a preceding Conv)", "Constant"] }

    /// The distinct operator types used by a serialized model, without converting it.
    public static func operatorTypes(data: Data) throws -> Set<String> {
        let proto = try Onnx_ModelProto(serializedBytes: data)
        return Set(proto.graph.node.map(\.opType))
    }

    /// The names of a serialized model's graph inputs that are not initializers, in order.
    public static func inputNames(data: Data) throws -> [String] {
        let proto = try Onnx_ModelProto(serializedBytes: data)
        let inits = Set(proto.graph.initializer.map(\.name))
        return proto.graph.input.map(\.name).filter { !inits.contains($0) }
    }
}

extension Onnx_TensorShapeProto.Dimension {
    /// Whether the dimension has a numeric value (not a symbolic dim_param, not unset).
    var hasValue: Bool { if case .dimValue = value { return true } else { return false } }
}
