import NeuralNetwork

/// How one ONNX operator becomes an engine op.
struct OpSpec: Sendable {
    /// Builds the op from the node's attributes and constant inputs.
    let make: @Sendable (NodeContext) throws -> any Op
    /// Which input positions the op reads at run time (the rest were folded into attributes); nil = all given.
    var dataInputs: [Int]? = nil
}

/// The supported ONNX operators: one line each; the op itself lives in Network/Ops.
enum OpRegistry {
    static let specs: [String: OpSpec] = [
        "Conv": OpSpec(make: makeConv),
        "Relu": OpSpec(make: { _ in Clamp.relu }),
        "Clip": OpSpec(make: makeClip, dataInputs: [0]),
        "Gemm": OpSpec(make: { c in
            Gemm(alpha: c.float("alpha", 1), beta: c.float("beta", 1), transA: c.int("transA", 0) != 0, transB: c.int("transB", 0) != 0)
        }),
        "Add": OpSpec(make: { _ in Add() }),
        "GlobalAveragePool": OpSpec(make: { _ in GlobalAveragePool() }),
        "Flatten": OpSpec(make: { c in Flatten(axis: c.int("axis", 1)) }),
        "MatMul": OpSpec(make: { _ in MatMul() }),
        "Mul": OpSpec(make: { _ in Mul() }),
        "Sub": OpSpec(make: { _ in Sub() }),
        "Div": OpSpec(make: { _ in Div() }),
        "Sigmoid": OpSpec(make: { _ in Sigmoid() }),
        "HardSigmoid": OpSpec(make: { c in HardSigmoid(alpha: c.float("alpha", 0.2), beta: c.float("beta", 0.5)) }),
        "HardSwish": OpSpec(make: { _ in HardSwish() }),
        "Concat": OpSpec(make: { c in
            let axis = c.int("axis", c.opset < 4 ? 1 : .min)
            guard axis != .min else { throw c.fail("axis is required") }
            return Concat(axis: axis)
        }),
        "MaxPool": OpSpec(make: makeMaxPool),
        "AveragePool": OpSpec(make: makeAveragePool),
        "LRN": OpSpec(make: { c in
            let size = c.int("size", 0)
            guard size > 0 else { throw c.fail("size is required") }
            return LRN(size: size, alpha: c.float("alpha", 1e-4), beta: c.float("beta", 0.75), bias: c.float("bias", 1))
        }),
        "BatchNormalization": OpSpec(make: makeBatchNormalization, dataInputs: [0, 1, 2, 3, 4]),
        "Dropout": OpSpec(make: makeDropout, dataInputs: [0]),
        "Identity": OpSpec(make: { _ in Identity() }),
        "Reshape": OpSpec(make: makeReshape, dataInputs: [0]),
        "Softmax": OpSpec(make: makeSoftmax),
        "Pad": OpSpec(make: makePad, dataInputs: [0]),
    ]

    static var supported: [String] { specs.keys.sorted() }

    static func makeConv(_ c: NodeContext) throws -> any Op {
        let w = c.inputShapes[1]
        guard w.count == 4 else { throw c.fail("only 2-D convolutions are supported (weights \(w))") }
        let kernel = c.ints("kernel_shape") ?? [w[2], w[3]]
        let strides = c.ints("strides") ?? [1, 1]
        let dilations = c.ints("dilations") ?? [1, 1]
        let pads = try c.pads2D(kernel: kernel, strides: strides, dilations: dilations)
        return Conv(kernel: kernel, strides: strides, pads: pads, dilations: dilations, group: c.int("group", 1))
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
