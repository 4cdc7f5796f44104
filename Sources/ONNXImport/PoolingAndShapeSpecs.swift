import NeuralNetwork

/// Constructors for the registry entries whose attributes need more than one line.
extension OpRegistry {
    /// The window of a MaxPool / AveragePool node; kernel_shape is required.
    static func poolWindow(_ c: NodeContext) throws -> Window2D {
        guard c.inputShapes[0].count == 4 else {
            throw c.fail("input '\(c.node.input[0])' has shape \(c.inputShapes[0]); only 2-D pooling of N×C×H×W inputs is supported")
        }
        guard let kernel = c.ints("kernel_shape") else { throw c.fail("kernel_shape is required") }
        return try c.window(kernel: kernel)
    }

    static func makeMaxPool(_ c: NodeContext) throws -> any Op {
        if c.node.output.count > 1, !c.node.output[1].isEmpty { throw c.fail("the Indices output is not supported") }
        return MaxPool(window: try poolWindow(c))
    }

    static func makeAveragePool(_ c: NodeContext) throws -> any Op {
        AveragePool(window: try poolWindow(c), countIncludePad: c.int("count_include_pad", 0) != 0)
    }

    static func makeBatchNormalization(_ c: NodeContext) throws -> any Op {
        if c.int("training_mode", 0) != 0 || c.node.output.dropFirst().contains(where: { !$0.isEmpty }) {
            throw c.fail("training mode (running statistics outputs) is not supported")
        }
        return BatchNormalization(epsilon: c.float("epsilon", 1e-5))
    }

    static func makeDropout(_ c: NodeContext) throws -> any Op {
        if c.node.output.count > 1, !c.node.output[1].isEmpty { throw c.fail("the mask output is not supported") }
        if let training = try c.constantFloats(2)?.first, training != 0 { throw c.fail("training mode is not supported") }
        return Identity.dropout
    }

    /// Reshape: the target shape is the constant input 1 (opset ≥ 5) or the `shape` attribute.
    static func makeReshape(_ c: NodeContext) throws -> any Op {
        let shape = c.opset >= 5 ? try c.constantInts(1) : c.ints("shape")
        guard let shape else { throw c.fail("the target shape is missing") }
        return Reshape(shape: shape, allowZero: c.int("allowzero", 0) != 0)
    }

    /// Softmax: opset 13 normalizes one axis (default −1); earlier opsets flatten from `axis` (default 1).
    static func makeSoftmax(_ c: NodeContext) throws -> any Op {
        c.opset >= 13 ? Softmax(axis: c.int("axis", -1)) : Softmax(axis: c.int("axis", 1), coercedTo2D: true)
    }

    /// Pad: attributes before opset 11; then constant inputs pads, constant_value and (opset 18) axes.
    static func makePad(_ c: NodeContext) throws -> any Op {
        let raw = c.string("mode", "constant")
        guard let mode = Pad.Mode(rawValue: raw) else { throw c.fail("mode '\(raw)' is not supported") }
        if c.opset < 11 {
            guard let pads = c.ints("pads") ?? c.ints("paddings") else { throw c.fail("pads is required") }
            return Pad(pads: pads, mode: mode, value: c.float("value", 0))
        }
        guard var pads = try c.constantInts(1) else { throw c.fail("pads is required") }
        let value = try c.constantFloats(2)?.first ?? 0
        let rank = c.inputShapes[0].count
        if let axes = try c.constantInts(3) {
            // Pads for the listed axes only: spread them over all axes, zero elsewhere.
            guard pads.count == 2 * axes.count else { throw c.fail("\(pads.count) pads for axes \(axes)") }
            var full = [Int](repeating: 0, count: 2 * rank)
            for (k, a) in axes.enumerated() {
                let ax = a < 0 ? a + rank : a
                guard (0..<rank).contains(ax) else { throw c.fail("axis \(a) for rank \(rank)") }
                full[ax] = pads[k]; full[ax + rank] = pads[k + axes.count]
            }
            pads = full
        }
        return Pad(pads: pads, mode: mode, value: value)
    }
}
