import Tensors

/// ONNX Conv: y[n,m] = b[m] + Σ_c Σ_k w[m,c,k] · x[n, g·C/G + c, s·o − p + d·k], with groups.
///
/// Three paths, one semantics: pointwise (1×1, stride 1, unpadded, one group) is a single GEMM;
/// depthwise (one input and one output channel per group) is a direct loop, since im2col would
/// only add memory traffic there; everything else is im2col + GEMM per group, except the forward pass of
/// a dense convolution with few taps (a stem), which is direct too (`DirectConv`).
public struct Conv: Op {
    public let kind = "Conv"
    /// kernel, strides, pads (or auto_pad), dilations: validated, shared with pooling.
    public let window: Window2D
    public let group: Int
    public var kernel: [Int] { window.kernel }
    public var strides: [Int] { window.strides }
    /// The explicit pads [top, left, bottom, right] (auto_pad, if set, is resolved per input size).
    public var pads: [Int] { window.pads }
    public var dilations: [Int] { window.dilations }
    public var fusesClamp: Bool { true }

    /// A convolution written in code; an invalid window or group is a programming error.
    public init(kernel: [Int], strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0], dilations: [Int] = [1, 1], group: Int = 1) {
        self.init(window: .literal(kernel: kernel, strides: strides, pads: pads, dilations: dilations), group: group)
    }

    /// A convolution over a validated window; `group` must be positive.
    public init(window: Window2D, group: Int = 1) {
        precondition(group >= 1, "Conv: group \(group)")
        self.window = window; self.group = group
    }

    func geometry(_ x: [Int]) -> ConvGeometry { window.convGeometry(inH: x[2], inW: x[3]) }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count >= 2, inputs[0].count == 4, inputs[1].count == 4 else {
            throw NetworkError.shapeMismatch(op: kind, detail: "needs a 4-D input and 4-D weights, got \(inputs)")
        }
        let x = inputs[0], w = inputs[1]
        guard (x + w).allSatisfy({ $0 > 0 }) else {
            throw NetworkError.shapeMismatch(op: kind, detail: "empty input \(x) or weights \(w)")
        }
        // Division first: group comes from the file and w[1]·group could overflow.
        guard x[1] % group == 0, x[1] / group == w[1], w[0] % group == 0 else {
            throw NetworkError.shapeMismatch(op: kind, detail: "group \(group) does not divide input channels \(x[1]) and weights \(w) into equal groups")
        }
        guard w[2] == kernel[0], w[3] == kernel[1] else {
            throw NetworkError.shapeMismatch(op: kind, detail: "weights \(w) for kernel_shape \(kernel)")
        }
        if inputs.count > 2, inputs[2] != [w[0]] {
            throw NetworkError.shapeMismatch(op: kind, detail: "bias \(inputs[2]) for \(w[0]) output channels")
        }
        // The window's sizes, not ConvGeometry's formula: that one truncates a negative room to 0 and adds 1.
        let r = window.resolve(inH: x[2], inW: x[3])
        guard r.outH > 0, r.outW > 0 else { throw NetworkError.shapeMismatch(op: kind, detail: "kernel larger than padded input \(x)") }
        return [x[0], w[0], r.outH, r.outW]
    }

    enum Path { case pointwise, depthwise, im2col }

    final class Scratch {
        let path: Path
        let col: UnsafeMutablePointer<Float>?
        private let colStorage: Tensor?
        let colCount: Int
        let depthwise: DepthwiseScratch?
        /// The forward pass's direct path for dense convolutions with few taps (`DirectConv`); backward stays im2col.
        let direct: DirectConvScratch?
        /// Whether the GEMM paths use `PointwiseKernel` (else OpenBLAS); see `KernelChoice`.
        let ownKernel: Bool
        init(path: Path, colCount: Int, geometry: ConvGeometry, ownKernel: Bool, direct: DirectConvScratch? = nil) {
            self.direct = direct
            self.path = path
            self.ownKernel = ownKernel
            self.colCount = colCount
            colStorage = colCount > 0 ? Tensor(shape: [colCount]) : nil
            col = colStorage?.data
            depthwise = path == .depthwise && DepthwiseScratch.supports(geometry) ? DepthwiseScratch(geometry) : nil
        }
    }

    func path(x: [Int], w: [Int]) -> Path {
        let g = geometry(x)
        if group == 1, kernel == [1, 1], strides == [1, 1], [g.padTop, g.padLeft, g.padBottom, g.padRight].allSatisfy({ $0 == 0 }) {
            return .pointwise
        }
        if group == x[1], w[0] == group, w[1] == 1 { return .depthwise }
        return .im2col
    }

    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? {
        let p = path(x: inputs[0], w: inputs[1])
        let g = geometry(inputs[0])
        let colCount = p == .im2col ? inputs[1][1] * kernel[0] * kernel[1] * g.outH * g.outW : 0
        let mg = inputs[1][0] / group, k = inputs[1][1] * kernel[0] * kernel[1]
        let own = p != .depthwise && KernelChoice.ownKernel(m: mg, n: g.outH * g.outW, k: k)
        // With OpenBLAS forced (DEEPVIS_GEMM=blas), the stem stays im2col + sgemm, as the GEMM benchmark means it.
        let direct = p == .im2col && group == 1 && own ? DirectConvScratch(g, inputChannels: inputs[1][1], outputChannels: inputs[1][0]) : nil
        return Scratch(path: p, colCount: colCount, geometry: g, ownKernel: own, direct: direct)
    }

    public func scratchBytes(inputs: [[Int]], output: [Int]) -> Int? {
        // The im2col buffer: (C/G)·kH·kW rows of outH·outW columns; the depthwise path's padded phase
        // planes (8 worker slots of about three planes each) are bounded by 24 planes. A dense convolution with few
        // taps (so C ≤ 32) and strides of at most 2 also keeps its input's phase planes for the direct path: C·sH·sW
        // output planes and their gaps, at most 4·C + 1. The depthwise path's channel blocks (small planes only) are added.
        guard let taps = MemoryLimit.elementCount([inputs[1][1], kernel[0], kernel[1]]) else { return nil }
        let direct = group == 1 && taps <= DirectConvScratch.maxTaps && strides.allSatisfy({ $0 <= 2 }) ? 4 * inputs[1][1] + 1 : 0
        guard let rows = MemoryLimit.floatBytes([max(taps, 24) + direct]),
              let plane = MemoryLimit.elementCount(Array(output.suffix(2))) else { return nil }
        let (b, overflow) = rows.multipliedReportingOverflow(by: plane)
        guard !overflow else { return nil }
        let g = geometry(inputs[0])
        let blocked = path(x: inputs[0], w: inputs[1]) == .depthwise && DepthwiseScratch.supports(g) ? BlockedPlan.bytes(g) : 0
        let (total, tooMany) = b.addingReportingOverflow(blocked)
        return tooMany ? nil : total
    }

    public func multiplyAdds(inputs: [[Int]], output: [Int]) -> Int {
        output.elementCount * inputs[1][1] * kernel[0] * kernel[1]
    }

    public func forward(_ a: ForwardArgs) {
        let s = a.scratch as! Scratch
        let x = a.inputs[0], w = a.inputs[1], y = a.output
        let n = x.shape[0], cin = x.shape[1], m = w.shape[0], g = geometry(x.shape)
        let hw = g.outH * g.outW, inPlane = g.inH * g.inW
        let bias = a.inputs.count > 2 ? UnsafePointer(a.inputs[2].data) : nil
        if let d = s.direct {
            for b in 0..<n {
                DirectConv.forward(x: x.data + b * cin * inPlane, w: w.data, bias: bias, y: y.data + b * m * hw, outputChannels: m,
                                   inputChannels: cin, g, d, epilogue: a.epilogue, outputOffset: b * m * hw)
            }
            return
        }
        // Start from the bias (or zero) so every path can accumulate with beta = 1; our kernel and the wide-row
        // depthwise add the bias themselves.
        for b in 0..<n where !s.ownKernel && !(s.path == .depthwise && s.depthwise != nil) {
            for oc in 0..<m {
                (y.data + (b * m + oc) * hw).update(repeating: a.inputs.count > 2 ? a.inputs[2][oc] : 0, count: hw)
            }
        }
        switch s.path {
        case .pointwise where s.ownKernel:
            for b in 0..<n {
                KernelChoice.multiply(m: m, n: hw, k: cin, a: w.data, aRowStride: cin, aColStride: 1, b: x.data + b * cin * inPlane,
                                    ldb: hw, bias: bias, accumulate: false, c: y.data + b * m * hw, ldc: hw,
                                    clamp: a.epilogue?.target(offset: b * m * hw))
            }
        case .pointwise:
            // Column tiles keep each tile's output in cache for the fused clamp.
            for b in 0..<n {
                let yb = y.data + b * m * hw
                BLAS.tiledGemm(m: m, n: hw, k: cin, a: w.data, lda: cin, b: x.data + b * cin * inPlane, ldb: hw,
                               beta: 1, c: yb, ldc: hw) { rows, cols in
                    if let e = a.epilogue { for oc in rows { e.apply(from: y.data, offset: (b * m + oc) * hw + cols.lowerBound, count: cols.count) } }
                }
            }
        case .depthwise:
            for b in 0..<n {
                Depthwise.forward(x: x.data + b * cin * inPlane, w: w.data, bias: bias, y: y.data + b * m * hw, channels: cin, g,
                                  scratch: s.depthwise, epilogue: a.epilogue, outputOffset: b * m * hw)
            }
        case .im2col:
            let cg = cin / group, mg = m / group, k = cg * kernel[0] * kernel[1]
            for b in 0..<n {
                for gi in 0..<group {
                    Im2Col.unfold(x.data + (b * cin + gi * cg) * inPlane, channels: cg, g, into: s.col!)
                    let base = (b * m + gi * mg) * hw
                    if s.ownKernel {
                        KernelChoice.multiply(m: mg, n: hw, k: k, a: w.data + gi * mg * k, aRowStride: k, aColStride: 1, b: s.col!,
                                            ldb: hw, bias: bias.map { $0 + gi * mg }, accumulate: false, c: y.data + base, ldc: hw,
                                            clamp: a.epilogue?.target(offset: base))
                        continue
                    }
                    BLAS.tiledGemm(m: mg, n: hw, k: k, a: w.data + gi * mg * k, lda: k, b: s.col!, ldb: hw,
                                   beta: 1, c: y.data + base, ldc: hw) { rows, cols in
                        if let e = a.epilogue { for r in rows { e.apply(from: y.data, offset: base + r * hw + cols.lowerBound, count: cols.count) } }
                    }
                }
            }
        }
    }

    /// The 1×1 path writes every input-gradient element in one product (stride 1, no padding: inPlane = hw).
    public func overwritesInputGradient(scratch: AnyObject?) -> Bool { (scratch as? Scratch)?.path == .pointwise }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0] else { return }
        let s = a.scratch as! Scratch
        let x = a.inputs[0], w = a.inputs[1], gy = a.outputGrad
        let n = x.shape[0], cin = x.shape[1], m = w.shape[0], g = geometry(x.shape)
        let hw = g.outH * g.outW, inPlane = g.inH * g.inW
        switch s.path {
        case .pointwise where s.ownKernel:
            for b in 0..<n {
                KernelChoice.multiply(m: cin, n: hw, k: m, a: w.data, aRowStride: 1, aColStride: cin, b: gy.data + b * m * hw, ldb: hw,
                                    bias: nil, accumulate: !a.overwrite, c: gx.data + b * cin * inPlane, ldc: hw)
            }
        case .pointwise:
            for b in 0..<n {
                BLAS.tiledGemm(transA: true, m: cin, n: hw, k: m, a: w.data, lda: cin, b: gy.data + b * m * hw, ldb: hw,
                               beta: a.overwrite ? 0 : 1, c: gx.data + b * cin * inPlane, ldc: hw)
            }
        case .depthwise:
            for b in 0..<n {
                Depthwise.backward(gy: gy.data + b * m * hw, w: w.data, gx: gx.data + b * cin * inPlane, channels: cin, g,
                                   scratch: s.depthwise)
            }
        case .im2col:
            let cg = cin / group, mg = m / group, k = cg * kernel[0] * kernel[1]
            for b in 0..<n {
                for gi in 0..<group {
                    if s.ownKernel {
                        KernelChoice.multiply(m: k, n: hw, k: mg, a: w.data + gi * mg * k, aRowStride: 1, aColStride: k,
                                            b: gy.data + (b * m + gi * mg) * hw, ldb: hw, bias: nil, accumulate: false, c: s.col!, ldc: hw)
                    } else {
                        BLAS.tiledGemm(transA: true, m: k, n: hw, k: mg, a: w.data + gi * mg * k, lda: k,
                                       b: gy.data + (b * m + gi * mg) * hw, ldb: hw, beta: 0, c: s.col!, ldc: hw)
                    }
                    Im2Col.fold(s.col!, channels: cg, g, addingInto: gx.data + (b * cin + gi * cg) * inPlane)
                }
            }
        }
    }
}
