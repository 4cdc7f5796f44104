import NeuralNetwork
import Tensors

/// One ONNX node as an op constructor sees it: typed attributes with defaults, constant inputs, shapes.
struct NodeContext {
    let node: Onnx_NodeProto
    let opset: Int
    /// Shapes of the node's inputs (empty array for an omitted optional input).
    let inputShapes: [[Int]]
    /// Decoded constant inputs by position (nil when computed or omitted).
    let constants: [ConstantValue?]

    var name: String { node.name.isEmpty ? node.output.first ?? node.opType : node.name }

    func fail(_ reason: String) -> ONNXImportError { .badNode(node: name, op: node.opType, reason: reason) }

    private func attribute(_ key: String) -> Onnx_AttributeProto? { node.attribute.first { $0.name == key } }

    func int(_ key: String, _ defaultValue: Int) -> Int { attribute(key).map { Int($0.i) } ?? defaultValue }
    func float(_ key: String, _ defaultValue: Float) -> Float { attribute(key).map { $0.f } ?? defaultValue }
    func ints(_ key: String) -> [Int]? { attribute(key).map { $0.ints.map { Int($0) } } }
    func floats(_ key: String) -> [Float]? { attribute(key).map { $0.floats } }
    func string(_ key: String, _ defaultValue: String) -> String {
        attribute(key).map { String(decoding: $0.s, as: UTF8.self) } ?? defaultValue
    }

    /// Whether optional input `i` was given.
    func hasInput(_ i: Int) -> Bool { i < node.input.count && !node.input[i].isEmpty }

    /// The integer values of constant input `i`; throws when it is computed at run time.
    func constantInts(_ i: Int) throws -> [Int]? {
        guard hasInput(i) else { return nil }
        guard let c = constants[i] else { throw fail("input \(i) ('\(node.input[i])') must be a constant (initializer) here") }
        return c.ints ?? c.tensor.array.map { Int($0) }
    }

    /// The float values of constant input `i`; throws when it is computed at run time.
    func constantFloats(_ i: Int) throws -> [Float]? {
        guard hasInput(i) else { return nil }
        guard let c = constants[i] else { throw fail("input \(i) ('\(node.input[i])') must be a constant (initializer) here") }
        return c.tensor.array
    }

    /// Spatial pads [top, left, bottom, right] from `pads` or `auto_pad`, for a 2-D window.
    func pads2D(kernel: [Int], strides: [Int], dilations: [Int]) throws -> [Int] {
        let autoPad = string("auto_pad", "NOTSET")
        switch autoPad {
        case "NOTSET":
            let p = ints("pads") ?? [0, 0, 0, 0]
            guard p.count == 4 else { throw fail("pads \(p): only 2-D windows are supported") }
            return p
        case "VALID": return [0, 0, 0, 0]
        case "SAME_UPPER", "SAME_LOWER":
            let x = inputShapes[0]
            var before = [0, 0], after = [0, 0]
            for d in 0..<2 {
                let i = x[2 + d], s = strides[d], k = (kernel[d] - 1) * dilations[d] + 1
                let total = max(((i + s - 1) / s - 1) * s + k - i, 0)
                let small = total / 2
                (before[d], after[d]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small)
            }
            return [before[0], before[1], after[0], after[1]]
        default: throw fail("auto_pad '\(autoPad)' is not supported")
        }
    }
}
