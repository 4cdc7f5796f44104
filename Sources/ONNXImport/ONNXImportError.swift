import NeuralNetwork

/// Why a model file could not be turned into a graph, in words a user can act on.
public enum ONNXImportError: Error, CustomStringConvertible {
    case fileNotFound(String)
    case emptyFile(String)
    case notONNX(String, reason: String)
    case unsupportedOp(op: String, node: String, opset: Int, supported: [String])
    case badNode(node: String, op: String, reason: String)
    case unsupportedTensor(name: String, reason: String)
    case graph(String, NetworkError)
    /// A file, tensor or input refused by a size check (over the memory limit, overflowing dims).
    case refused(String, NetworkError)

    public var description: String {
        switch self {
        case let .fileNotFound(p): return "\(p): no such file"
        case let .emptyFile(p): return "\(p): the file is empty, not an ONNX model"
        case let .notONNX(p, reason): return "\(p): not a readable ONNX model (\(reason)); is the file truncated or of another format?"
        case let .unsupportedOp(op, node, opset, supported):
            return "unsupported operator '\(op)' (node '\(node)', opset \(opset)). Supported: \(supported.joined(separator: ", "))"
        case let .badNode(node, op, reason): return "node '\(node)' (\(op)): \(reason)"
        case let .unsupportedTensor(name, reason): return "tensor '\(name)': \(reason)"
        case let .graph(node, e): return "node '\(node)': \(e)"
        case let .refused(what, e): return "\(what): \(e)"
        }
    }
}
