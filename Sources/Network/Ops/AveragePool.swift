import Tensors

/// ONNX AveragePool (2-D): y[n,c,oy,ox] = (Σ of the window's taps inside the image) / divisor.
///
/// The divisor counts the taps inside the image, or with `countIncludePad` the taps inside the
/// padded extent (ceil-mode overhang beyond the end padding is never counted, as in onnxruntime
/// and PyTorch). Backward spreads gy / divisor over the same taps; it is linear, so every
/// backward mode passes the true gradient.
public struct AveragePool: Op {
    public let kind = "AveragePool"
    /// kernel, strides, pads, dilations, ceil_mode, auto_pad.
    public let window: Window2D
    /// Whether the divisor counts padded taps (ONNX count_include_pad).
    public let countIncludePad: Bool

    /// An average pool; omitted attributes take ONNX's defaults (count_include_pad = 0).
    public init(kernel: [Int], strides: [Int]? = nil, pads: [Int]? = nil, dilations: [Int]? = nil,
                ceilMode: Bool = false, autoPad: AutoPad = .notSet, countIncludePad: Bool = false) {
        window = .literal(kernel: kernel, strides: strides, pads: pads, dilations: dilations, ceilMode: ceilMode, autoPad: autoPad)
        self.countIncludePad = countIncludePad
    }

    /// An average pool over a validated window (the importer's path).
    public init(window: Window2D, countIncludePad: Bool = false) {
        self.window = window
        self.countIncludePad = countIncludePad
    }

    /// The resolved geometry and 1/divisor for every output position of a plane.
    final class Scratch {
        let taps: PoolTaps
        let reciprocal: UnsafeMutablePointer<Float>
        init(geometry g: PoolGeometry, countIncludePad: Bool) {
            taps = PoolTaps(g)
            reciprocal = .allocate(capacity: max(g.outH * g.outW, 1))
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    let n = countIncludePad ? g.paddedRowCount(oy) * g.paddedColCount(ox)
                                            : g.rows(oy).taps.count * g.cols(ox).taps.count
                    reciprocal[oy * g.outW + ox] = n > 0 ? 1 / Float(n) : 0
                }
            }
        }
        deinit { reciprocal.deallocate() }
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        try window.outputShape(inputs, op: kind)
    }

    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? {
        Scratch(geometry: window.geometry(inH: inputs[0][2], inW: inputs[0][3]), countIncludePad: countIncludePad)
    }

    public func forward(_ a: ForwardArgs) {
        let s = a.scratch as! Scratch, t = s.taps, g = t.geometry, inv = s.reciprocal
        let x = a.inputs[0].data, y = a.output.data
        let planes = a.output.shape[0] * a.output.shape[1]
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        Parallel.forEach(planes) { p in
            let src = x + p * inPlane
            for oy in 0..<g.outH {
                let dst = y + p * outPlane + oy * g.outW, r = t.rows(oy)
                dst.update(repeating: 0, count: g.outW)
                // Taps outermost, output columns innermost: independent adds that pipeline (see MaxPool).
                Self.forEachTap(r, t) { first, cols in
                    for ox in cols { dst[ox] += src[first + ox * g.strideW] }
                }
                let w = inv + oy * g.outW
                for ox in 0..<g.outW { dst[ox] *= w[ox] }
            }
        }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let s = a.scratch as! Scratch, t = s.taps, g = t.geometry, inv = s.reciprocal
        let gy = a.outputGrad.data
        let planes = a.output.shape[0] * a.output.shape[1]
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        Parallel.forEach(planes) { p in
            let dst = gx + p * inPlane
            for oy in 0..<g.outH {
                let src = gy + p * outPlane + oy * g.outW, w = inv + oy * g.outW
                // Within one tap, distinct output columns read distinct inputs, so the adds don't collide.
                Self.forEachTap(t.rows(oy), t) { first, cols in
                    for ox in cols { dst[first + ox * g.strideW] += src[ox] * w[ox] }
                }
            }
        }
    }

    /// Calls `body(offset of output column 0's tap, valid output columns)` for each in-image tap of one output row.
    @inline(__always)
    static func forEachTap(_ r: (taps: Range<Int>, start: Int), _ t: PoolTaps, _ body: (Int, Range<Int>) -> Void) {
        let g = t.geometry
        for ky in r.taps {
            let rowOffset = (r.start + ky * g.dilationH) * g.inW - g.padLeft
            for kx in 0..<g.kernelW { body(rowOffset + kx * g.dilationW, t.columns(tap: kx)) }
        }
    }

    public func multiplyAdds(inputs: [[Int]], output: [Int]) -> Int {
        output.elementCount * window.kernel.elementCount
    }
}
