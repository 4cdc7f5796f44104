import Tensors

/// Depthwise backward in the forward's "wide row" form (see `DepthwiseScratch`), as its exact adjoint.
///
/// Forward computes wide[j] = Σ_t w_t · phases[off_t + j]. Its transpose, for phase plane p and the taps t
/// that read it (in-plane offset o_t = off_t − p·plane), is G_p[q] = Σ_t w_t · wideGrad[q − o_t]: again a
/// sum of shifted planes, so it runs as the same SIMD loop with all of a phase's taps in registers, over a
/// gradient plane with zero margins; G_p is then added back onto the input pixels (the adjoint of
/// `scatter`). The plain loop this replaces scattered one tap at a time with stride s.
extension Depthwise {
    /// gx[c] += the transposed convolution of gy[c] with w[c]; the wide form when `scratch` allows it.
    static func backward(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, channels: Int,
                         _ g: ConvGeometry, scratch: DepthwiseScratch?) {
        guard let sc = scratch else {
            backward(gy: gy, w: w, gx: gx, channels: channels, g)
            return
        }
        if let plan = sc.flat, let table = plan.backward {
            backwardFlat(gy: gy, w: w, gx: gx, channels: channels, plan, table: table)
            return
        }
        let s = g.strideH, pw = sc.pw, plane = sc.ph * pw, kk = g.kernelH * g.kernelW
        let ow = g.outW, oh = g.outH, outPlane = oh * ow, inPlane = g.inH * g.inW
        let planeRounded = (plane + 31) / 32 * 32
        // Taps grouped by phase plane: their filter index and in-plane offset.
        var taps = [[(tap: Int, offset: Int)]](repeating: [], count: s * s)
        for (t, off) in sc.offsets.enumerated() { taps[off / plane].append((t, off % plane)) }
        let margin = sc.offsets.map { $0 % plane }.max() ?? 0
        // Per phase: the shifts into the zero-margined gradient plane, as `accumulate` reads them.
        let shifts = taps.map { $0.map { margin - $0.offset } }
        let gradCount = margin + planeRounded + 32
        let phaseEmpty = taps.map(\.isEmpty)
        // The phase planes are laid out as the forward's (`plane` apart), so the forward's scatter index maps each
        // input pixel to its entry. `accumulate` writes whole vectors, up to 31 floats past a plane: into the next
        // plane, which is computed afterwards, or into the slack after the last.
        let planesCount = s * s * plane + 32
        let byIndex = !sc.scatterIndex.isEmpty && !phaseEmpty.contains(true)
        Parallel.forChunks(channels, maxChunks: DepthwiseScratch.slots) { range, _ in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: gradCount + planesCount + kk) { buf in
                let wideGrad = buf.baseAddress!, planes = wideGrad + gradCount, weights = planes + planesCount
                // Zero once: only the in-image positions of the gradient plane are written below.
                wideGrad.initialize(repeating: 0, count: gradCount)
                for c in range {
                    let gyc = gy + c * outPlane, wc = w + c * kk
                    for oy in 0..<oh { (wideGrad + margin + oy * pw).update(from: gyc + oy * ow, count: ow) }
                    for p in 0..<(s * s) where !taps[p].isEmpty {
                        for (i, t) in taps[p].enumerated() { weights[i] = wc[t.tap] }
                        shifts[p].withUnsafeBufferPointer { offsets in
                            accumulate(taps: weights, offsets: offsets, from: wideGrad, into: planes + p * plane, count: planeRounded)
                        }
                    }
                    if byIndex {
                        sc.scatterIndex.withUnsafeBufferPointer { index in
                            let gxc = gx + c * inPlane
                            for i in 0..<index.count { gxc[i] += planes[Int(index[i])] }
                        }
                    } else {
                        gatherAdd(planes, planeStride: plane, phaseEmpty: phaseEmpty, into: gx + c * inPlane, sc)
                    }
                }
            }
        }
    }

    /// Stride 1 in the flat form (`FlatPlan.backward`): each channel's output gradient is copied between zero gaps,
    /// convolved with the mirrored taps into a plane of its own (the kernel's overlapping last vectors store twice, so
    /// it cannot add into gx itself) and added onto gx.
    static func backwardFlat(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, channels: Int,
                             _ plan: FlatPlan, table: [Int]) {
        let plane = plan.count, kk = plan.taps, start = plan.backwardStart
        Parallel.forChunks(channels, maxChunks: DepthwiseScratch.slots) { range, _ in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: plan.channelCount + plane + kk) { buf in
                let padded = buf.baseAddress!, result = padded + plan.channelCount, filter = result + plane
                // Zero once: only the plane's interior is written below.
                padded.initialize(repeating: 0, count: plan.channelCount)
                table.withUnsafeBufferPointer { table in
                    plan.columns.withUnsafeBufferPointer { columns in
                        let taps = FlatPlanes.Taps(base: table.baseAddress!, groups: plan.groups, taps: kk, width: plan.width, count: plane)
                        let order = plan.filterOrder(table)
                        let out = FlatPlanes.Output(preActivation: result, activated: nil, low: 0, high: 0)
                        for c in range {
                            let wc = w + c * kk
                            for t in 0..<kk { filter[t] = wc[order[t]] }
                            (padded + start).update(from: gy + c * plane, count: plane)
                            plan.convolve(taps, filter: filter, from: padded, columns: columns.baseAddress!, bias: 0, out)
                            add(result, into: gx + c * plane, count: plane)
                        }
                    }
                }
            }
        }
    }

    /// y[i] += x[i], in vectors.
    @inline(__always)
    private static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let src = UnsafeRawPointer(x), dst = UnsafeMutableRawPointer(y)
        var i = 0
        while i &+ 8 <= count {
            let v = src.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) + dst.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            dst.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < count { y[i] += x[i]; i &+= 1 }
    }

    /// The adjoint of `scatter`: adds each input pixel's entry of its phase plane onto gx.
    @inline(__always)
    private static func gatherAdd(_ planes: UnsafePointer<Float>, planeStride: Int, phaseEmpty: [Bool],
                                  into gxc: UnsafeMutablePointer<Float>, _ sc: DepthwiseScratch) {
        let g = sc.g, s = g.strideH, pw = sc.pw
        for iy in 0..<g.inH {
            let py = iy + g.padTop, dst = gxc + iy * g.inW
            if s == 1 {
                let src = planes + py * pw + g.padLeft
                for ix in 0..<g.inW { dst[ix] += src[ix] }
                continue
            }
            // Input columns ix with (ix + padLeft) % s == qx come from consecutive entries of phase plane (py % s, qx).
            for qx in 0..<s {
                let p = (py % s) * s + qx
                let first = ((qx - g.padLeft) % s + s) % s
                guard !phaseEmpty[p], first < g.inW else { continue }
                let src = planes + p * planeStride + (py / s) * pw + (first + g.padLeft) / s
                var ix = first, k = 0
                while ix < g.inW { dst[ix] += src[k]; ix += s; k += 1 }
            }
        }
    }
}
