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
        if let ints = c.ints { return ints }
        // A float tensor used as integers (a shape, pads): every value must be a whole number Int can hold.
        return try c.tensor.array.map { v in
            guard v.isFinite, v == v.rounded(), abs(v) < 0x1p53 else {
                throw fail("input \(i) ('\(node.input[i])') holds \(v), not an integer")
            }
            return Int(v)
        }
    }

    /// The float values of constant input `i`; throws when it is computed at run time.
    func constantFloats(_ i: Int) throws -> [Float]? {
        guard hasInput(i) else { return nil }
        guard let c = constants[i] else { throw fail("input \(i) ('\(node.input[i])') must be a constant (initializer) here") }
        return c.tensor.array
    }

    /// The node's 2-D window (Conv, MaxPool, AveragePool): `kernel` plus the strides, pads, dilations,
    /// auto_pad and ceil_mode attributes, validated; auto_pad is resolved per input size by the op.
    func window(kernel: [Int]) throws -> Window2D {
        let raw = string("auto_pad", "NOTSET")
        guard let autoPad = AutoPad(rawValue: raw) else { throw fail("auto_pad '\(raw)' is not supported (NOTSET, SAME_UPPER, SAME_LOWER, VALID are)") }
        do throws(NetworkError) {
            return try Window2D(kernel: kernel, strides: ints("strides"), pads: autoPad == .notSet ? ints("pads") : nil,
                                dilations: ints("dilations"), ceilMode: int("ceil_mode", 0) != 0, autoPad: autoPad, op: node.opType)
        } catch {
            throw ONNXImportError.graph(name, error)
        }
    }
}
