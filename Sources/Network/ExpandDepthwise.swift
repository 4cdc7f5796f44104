import Glibc
import Tensors

/// An inverted-residual block's expand 1×1 convolution (with its clamp) and the depthwise convolution that reads it,
/// computed together in bands of output rows, for sessions that keep only the graph's outputs
/// (`Session(outputsOnly:)`). Each band expands just the input rows its depthwise rows read into a buffer that stays
/// in L2 and convolves them from there, so the expanded tensor (96×112×112 floats, 4.8 MB, in `blocks.1`) is never
/// written out and read back. Rows that two bands share are moved to the front of the buffer, not expanded again.
/// Taking the project 1×1 into the bands too was slower (ARCHITECTURE.md).
///
/// The expanded value is then not computed at all; sessions that may read it (the viewer's, the ascent's) do not fuse.
final class ExpandDepthwise {
    /// Fuse when the expanded tensor of one image is at least this large: smaller ones stay in L2 anyway.
    static let minExpandedBytes = 1 << 20
    /// A band's expanded rows take at most about this much (per thread, so each core's L2 holds its own).
    static let bandBytes = 384 * 1024

    private let expand: ForwardArgs, depthwise: ForwardArgs
    private let plan: FlatPlan, scratch: DepthwiseScratch
    private let bandRows: Int, maxInputRows: Int
    private let storage: Tensor
    private let perSlot: Int

    /// The fused pair, when `expand` is a 1×1 convolution on our kernel whose only reader is `depthwise`, a
    /// depthwise convolution in the flat form, and the expanded tensor is large; else nil.
    init?(expand: ForwardArgs, depthwise: ForwardArgs) {
        guard let es = expand.scratch as? Conv.Scratch, es.path == .pointwise, es.ownKernel,
              let ds = depthwise.scratch as? Conv.Scratch, ds.path == .depthwise, let sc = ds.depthwise, let plan = sc.flat,
              sc.blocked == nil else { return nil }
        let g = sc.g, channels = expand.inputs[1].shape[0], inPlane = g.inH * g.inW
        let (bytes, overflow) = (channels * 4).multipliedReportingOverflow(by: inPlane)
        guard !overflow, bytes >= Self.minExpandedBytes else { return nil }
        let s = g.strideH
        // Input rows of a band of b output rows: (b − 1)·s + kernelH, and s − 1 more when its first row is moved up to
        // a multiple of s (the phase planes are split by the input row's parity).
        func inputRows(_ b: Int) -> Int { (b - 1) * s + g.kernelH + s - 1 }
        let rowBytes = channels * g.inW * 4
        var b = 1
        while b < g.outH, inputRows(b + 1) * rowBytes <= Self.bandBytes { b += 1 }
        // Whole output rows of at least 16 positions: the flat kernel's vectors.
        guard b * g.outW >= 16 else { return nil }
        (self.expand, self.depthwise, self.plan, self.scratch) = (expand, depthwise, plan, sc)
        bandRows = b
        maxInputRows = min(g.inH, inputRows(b))
        perSlot = channels * maxInputRows * g.inW
        // Pages of slots no thread uses are never touched.
        storage = Tensor(shape: [perSlot * DepthwiseScratch.slots])
    }

    /// Both nodes' forward pass: the depthwise output (and its clamp) as the two nodes would have written it.
    func run() {
        let x = expand.inputs[0], w1 = expand.inputs[1], w2 = depthwise.inputs[1]
        let bias1 = expand.inputs.count > 2 ? UnsafePointer(expand.inputs[2].data) : nil
        let bias2 = depthwise.inputs.count > 2 ? UnsafePointer(depthwise.inputs[2].data) : nil
        let g = scratch.g, s = g.strideH, n = x.shape[0], k = x.shape[1], channels = w1.shape[0]
        let inPlane = g.inH * g.inW, plane = g.outH * g.outW, kk = g.kernelH * g.kernelW
        let bands = (g.outH + bandRows - 1) / bandRows, pitch = maxInputRows * g.inW
        let y = depthwise.output.data, epilogue = depthwise.epilogue
        for image in 0..<n {
            let xb = x.data + image * k * inPlane, yb = y + image * channels * plane
            // Where the clamped values go: nil when there is no clamp; y itself when the clamp is in place.
            let activated = epilogue.map { $0.output.data + image * channels * plane }
            // Bands to threads; the kernels called inside find the pool busy and run on the calling thread.
            Parallel.forChunks(bands, maxChunks: DepthwiseScratch.slots) { range, slot in
                let expanded = storage.data + slot * perSlot, source = scratch.buffer + slot * scratch.perSlot
                plan.withTables { taps, columns, inTapOrder in
                    // The input rows the buffer holds, from its start: a band's rows shared with the one before are
                    // moved to the front instead of expanded again.
                    var held = 0..<0
                    for band in range {
                        let oy0 = band * bandRows, oy1 = min(g.outH, oy0 + bandRows)
                        let r0 = max(0, oy0 * s - g.padTop) / s * s, r1 = min(g.inH, (oy1 - 1) * s - g.padTop + g.kernelH)
                        let rows = r1 - r0, kept = held.clamped(to: r0..<r1)
                        let fresh = kept.isEmpty ? r0 : kept.upperBound
                        if !kept.isEmpty && kept.lowerBound > held.lowerBound {
                            for c in 0..<channels {
                                let at = expanded + c * pitch
                                memmove(at, at + (kept.lowerBound - held.lowerBound) * g.inW, kept.count * g.inW * MemoryLayout<Float>.stride)
                            }
                        }
                        let into = expanded + (fresh - r0) * g.inW
                        KernelChoice.multiply(m: channels, n: (r1 - fresh) * g.inW, k: k, a: w1.data, aRowStride: k, aColStride: 1,
                                              b: xb + fresh * g.inW, ldb: inPlane, bias: bias1, accumulate: false, c: into, ldc: pitch,
                                              clamp: expand.epilogue.map { ClampTarget(low: $0.low, high: $0.high, into: into) })
                        held = r0..<r1
                        for c in 0..<channels {
                            let filter = inTapOrder(w2.data + c * kk)
                            plan.fill(expanded + c * pitch, firstRow: r0, rows: rows, into: source)
                            plan.convolve(taps, filter: filter, from: source, columns: columns, bias: bias2?[c] ?? 0,
                                          Depthwise.output(y: yb, activated: activated, at: c * plane, low: epilogue?.low ?? 0,
                                                           high: epilogue?.high ?? 0),
                                          positions: oy0 * g.outW ..< oy1 * g.outW)
                        }
                    }
                }
            }
        }
    }
}
