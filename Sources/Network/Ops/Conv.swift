import Tensors

/// ONNX Conv: y[n,m] = b[m] + Σ_c Σ_k w[m,c,k] · x[n, g·C/G + c, s·o − p + d·k], with groups.
///
/// Three paths, one semantics: pointwise (1×1, stride 1, unpadded, one group) is a single GEMM;
/// depthwise (one input and one output channel per group) is a direct loop, since im2col would
/// only add memory traffic there; everything else is im2col + GEMM per group.
public struct Conv: Op {
    public let kind = "Conv"
    public let kernel: [Int]
    public let strides: [Int]
    /// [top, left, bottom, right].
    public let pads: [Int]
    public let dilations: [Int]
    public let group: Int
    public var fusesClamp: Bool { true }

    public init(kernel: [Int], strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0], dilations: [Int] = [1, 1], group: Int = 1) {
        self.kernel = kernel; self.strides = strides; self.pads = pads; self.dilations = dilations; self.group = group
    }

    func geometry(_ x: [Int]) -> ConvGeometry {
        ConvGeometry(inH: x[2], inW: x[3], kernelH: kernel[0], kernelW: kernel[1], strideH: strides[0], strideW: strides[1],
                     padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3],
                     dilationH: dilations[0], dilationW: dilations[1])
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count >= 2, inputs[0].count == 4, inputs[1].count == 4 else {
            throw NetworkError.shapeMismatch(op: kind, detail: "needs a 4-D input and 4-D weights, got \(inputs)")
        }
        let x = inputs[0], w = inputs[1]
        guard x[1] == w[1] * group, w[0] % group == 0, w[2] == kernel[0], w[3] == kernel[1] else {
            throw NetworkError.shapeMismatch(op: kind, detail: "input \(x), weights \(w), group \(group)")
        }
        if inputs.count > 2, inputs[2] != [w[0]] {
            throw NetworkError.shapeMismatch(op: kind, detail: "bias \(inputs[2]) for \(w[0]) output channels")
        }
        let g = geometry(x)
        guard g.outH > 0, g.outW > 0 else { throw NetworkError.shapeMismatch(op: kind, detail: "kernel larger than padded input \(x)") }
        return [x[0], w[0], g.outH, g.outW]
    }

    enum Path { case pointwise, depthwise, im2col }

    final class Scratch {
        let path: Path
        let col: UnsafeMutablePointer<Float>?
        let colCount: Int
        let depthwise: DepthwiseScratch?
        /// Whether the GEMM paths use `PointwiseKernel` (else OpenBLAS); see `KernelChoice`.
        let ownKernel: Bool
        init(path: Path, colCount: Int, geometry: ConvGeometry, ownKernel: Bool) {
            self.path = path
            self.ownKernel = ownKernel
            self.colCount = colCount
            col = colCount > 0 ? .allocate(capacity: colCount) : nil
            depthwise = path == .depthwise && DepthwiseScratch.supports(geometry) ? DepthwiseScratch(geometry) : nil
        }
        deinit { col?.deallocate() }
    }

    func path(x: [Int], w: [Int]) -> Path {
        if group == 1, kernel == [1, 1], strides == [1, 1], pads.allSatisfy({ $0 == 0 }) { return .pointwise }
        if group == x[1], w[0] == group, w[1] == 1 { return .depthwise }
        return .im2col
    }

    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? {
        let p = path(x: inputs[0], w: inputs[1])
        let g = geometry(inputs[0])
        let colCount = p == .im2col ? inputs[1][1] * kernel[0] * kernel[1] * g.outH * g.outW : 0
        let mg = inputs[1][0] / group, k = inputs[1][1] * kernel[0] * kernel[1]
        return Scratch(path: p, colCount: colCount, geometry: g,
                       ownKernel: p != .depthwise && KernelChoice.ownKernel(m: mg, n: g.outH * g.outW, k: k))
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
        // Start from the bias (or zero) so every path can accumulate with beta = 1; our kernel adds the bias itself.
        for b in 0..<n where !s.ownKernel {
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
                Depthwise.forward(x: x.data + b * cin * inPlane, w: w.data, y: y.data + b * m * hw, channels: cin, g,
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
                                    bias: nil, accumulate: true, c: gx.data + b * cin * inPlane, ldc: hw)
            }
        case .pointwise:
            for b in 0..<n {
                BLAS.tiledGemm(transA: true, m: cin, n: hw, k: m, a: w.data, lda: cin, b: gy.data + b * m * hw, ldb: hw,
                               beta: 1, c: gx.data + b * cin * inPlane, ldc: hw)
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
