import NeuralNetwork

/// How one ONNX operator becomes an engine op.
struct OpSpec: Sendable {
    /// Builds the op from the node's attributes and constant inputs.
    let make: @Sendable (NodeContext) throws -> any Op
    /// How many inputs the node may list (ONNX's own bounds, optional inputs included).
    var arity: ClosedRange<Int> = 1...1
    /// Which input positions the op reads at run time (the rest were folded into attributes); nil = all given.
    var dataInputs: [Int]? = nil
}

/// The supported ONNX operators: one line each; the op itself lives in Network/Ops.
enum OpRegistry {
    static let specs: [String: OpSpec] = [
        "Conv": OpSpec(make: makeConv, arity: 2...3),
        "Relu": OpSpec(make: { _ in Clamp.relu }),
        "Clip": OpSpec(make: makeClip, arity: 1...3, dataInputs: [0]),
        "Gemm": OpSpec(make: { c in
            Gemm(alpha: c.float("alpha", 1), beta: c.float("beta", 1), transA: c.int("transA", 0) != 0, transB: c.int("transB", 0) != 0)
        }, arity: 2...3),
        "Add": OpSpec(make: { _ in Add() }, arity: 2...2),
        "GlobalAveragePool": OpSpec(make: { _ in GlobalAveragePool() }),
        "Flatten": OpSpec(make: { c in Flatten(axis: c.int("axis", 1)) }),
        "MatMul": OpSpec(make: { _ in MatMul() }, arity: 2...2),
        "Mul": OpSpec(make: { _ in Mul() }, arity: 2...2),
        "Sub": OpSpec(make: { _ in Sub() }, arity: 2...2),
        "Div": OpSpec(make: { _ in Div() }, arity: 2...2),
        "Sigmoid": OpSpec(make: { _ in Sigmoid() }),
        "HardSigmoid": OpSpec(make: { c in HardSigmoid(alpha: c.float("alpha", 0.2), beta: c.float("beta", 0.5)) }),
        "HardSwish": OpSpec(make: { _ in HardSwish() }),
        "Concat": OpSpec(make: { c in
            let axis = c.int("axis", c.opset < 4 ? 1 : .min)
            guard axis != .min else { throw c.fail("axis is required") }
            return Concat(axis: axis)
        }, arity: 1...Int.max),
        "MaxPool": OpSpec(make: makeMaxPool),
        "AveragePool": OpSpec(make: makeAveragePool),
        "LRN": OpSpec(make: { c in
            let size = c.int("size", 0)
            guard size > 0 else { throw c.fail("size is required") }
            return LRN(size: size, alpha: c.float("alpha", 1e-4), beta: c.float("beta", 0.75), bias: c.float("bias", 1))
        }),
        "BatchNormalization": OpSpec(make: makeBatchNormalization, arity: 5...5, dataInputs: [0, 1, 2, 3, 4]),
        "Dropout": OpSpec(make: makeDropout, arity: 1...3, dataInputs: [0]),
        "Identity": OpSpec(make: { _ in Identity() }),
        "Reshape": OpSpec(make: makeReshape, arity: 1...2, dataInputs: [0]),
        "Softmax": OpSpec(make: makeSoftmax),
        "Pad": OpSpec(make: makePad, arity: 1...4, dataInputs: [0]),
    ]

    static var supported: [String] { specs.keys.sorted() }

    static func makeConv(_ c: NodeContext) throws -> any Op {
        let x = c.inputShapes[0], w = c.inputShapes[1]
        guard x.count == 4 else { throw c.fail("input '\(c.node.input[0])' has rank \(x.count) (shape \(x)); only 2-D convolutions of N×C×H×W inputs are supported") }
        guard w.count == 4 else { throw c.fail("weights '\(c.node.input[1])' have rank \(w.count) (shape \(w)); only 2-D convolutions are supported") }
        let group = c.int("group", 1)
        guard group >= 1, group <= x[1] else { throw c.fail("group \(group) must be between 1 and the \(x[1]) input channels") }
        return Conv(window: try c.window(kernel: c.ints("kernel_shape") ?? [w[2], w[3]]), group: group)
    }

    static func makeClip(_ c: NodeContext) throws -> any Op {
        if c.opset < 11 {
            return Clamp(low: c.float("min", -.greatestFiniteMagnitude), high: c.float("max", .greatestFiniteMagnitude))
        }
        let lo = try c.constantFloats(1)?.first ?? -.greatestFiniteMagnitude
        let hi = try c.constantFloats(2)?.first ?? .greatestFiniteMagnitude
        return Clamp(low: lo, high: hi)
    }
}
