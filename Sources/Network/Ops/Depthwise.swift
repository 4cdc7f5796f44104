import Tensors

/// Direct depthwise convolution: each channel convolved with its own kh×kw filter.
///
/// Forward uses the "wide row" form: the input plane is zero-padded (and, for stride s > 1,
/// split into s² phase planes, each a stride-1 problem), and each filter tap then updates
/// the whole output plane in one long contiguous loop that vectorizes well. The extra
/// columns it computes past each row's end are dropped. This avoids per-row loop overhead,
/// which dominates on the 7×7 and 14×14 maps of mobile networks.
final class DepthwiseScratch {
    static let slots = 8
    let g: ConvGeometry
    /// Phase-plane geometry: s² planes of ph × pw (one extra row so the last taps stay in bounds).
    let ph: Int, pw: Int
    let perSlot: Int
    let buffer: UnsafeMutablePointer<Float>

    init(_ g: ConvGeometry) {
        self.g = g
        let s = g.strideH
        let kh = (g.kernelH - 1) / s, kw = (g.kernelW - 1) / s
        pw = max((g.inW + g.padLeft + g.padRight + s - 1) / s, g.outW + kw)
        ph = max((g.inH + g.padTop + g.padBottom + s - 1) / s, g.outH + kh) + 1
        perSlot = s * s * ph * pw + g.outH * pw
        buffer = .allocate(capacity: perSlot * Self.slots)
    }
    deinit { buffer.deallocate() }

    /// Whether the wide-row form applies (equal strides, no dilation).
    static func supports(_ g: ConvGeometry) -> Bool {
        g.strideH == g.strideW && g.dilationH == 1 && g.dilationW == 1
    }
}

enum Depthwise {
    /// y[c] += w[c] ⋆ x[c]; y holds the bias already.
    static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, channels: Int,
                        _ g: ConvGeometry, scratch: DepthwiseScratch?) {
        guard let sc = scratch else { return forwardDirect(x: x, w: w, y: y, channels: channels, g) }
        let s = g.strideH, ow = g.outW, oh = g.outH, plane = oh * ow, inPlane = g.inH * g.inW, kk = g.kernelH * g.kernelW
        let ph = sc.ph, pw = sc.pw, phase = ph * pw
        Parallel.forChunks(channels, maxChunks: DepthwiseScratch.slots) { range, slot in
            let phases = sc.buffer + slot * sc.perSlot
            let wide = phases + s * s * phase
            for c in range {
                let xc = x + c * inPlane, wc = w + c * kk, yc = y + c * plane
                // Scatter the zero-padded input into its s² phase planes.
                phases.update(repeating: 0, count: s * s * phase)
                for iy in 0..<g.inH {
                    let py = iy + g.padTop
                    let rowBase = phases + ((py % s) * s) * phase + (py / s) * pw
                    let src = xc + iy * g.inW
                    if s == 1 {
                        (rowBase + g.padLeft).update(from: src, count: g.inW)
                        continue
                    }
                    for qx in 0..<s {
                        // Input columns ix with (ix + padLeft) % s == qx land in phase column (ix + padLeft) / s.
                        let first = ((qx - g.padLeft) % s + s) % s
                        guard first < g.inW else { continue }
                        let dst = rowBase + qx * phase + (first + g.padLeft) / s
                        let from = src + first
                        for k in 0..<((g.inW - 1 - first) / s + 1) { dst[k] = from[k * s] }
                    }
                }
                let n = oh * pw
                wide.update(repeating: 0, count: n)
                for ky in 0..<g.kernelH {
                    for kx in 0..<g.kernelW {
                        let wv = wc[ky * g.kernelW + kx]
                        let src = UnsafePointer(phases + ((ky % s) * s + kx % s) * phase + (ky / s) * pw + kx / s)
                        for j in 0..<n { wide[j] += wv * src[j] }
                    }
                }
                for oy in 0..<oh {
                    let dst = yc + oy * ow, srcRow = wide + oy * pw
                    for ox in 0..<ow { dst[ox] += srcRow[ox] }
                }
            }
        }
    }

    /// The plain loop, for dilated or unequal-stride filters.
    static func forwardDirect(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, channels: Int, _ g: ConvGeometry) {
        let ow = g.outW, plane = g.outH * ow, inPlane = g.inH * g.inW, kk = g.kernelH * g.kernelW
        Parallel.forEach(channels) { c in
            let xc = x + c * inPlane, yc = y + c * plane, wc = w + c * kk
            for ky in 0..<g.kernelH {
                let rows = g.validRows(ky: ky)
                for kx in 0..<g.kernelW {
                    let wv = wc[ky * g.kernelW + kx]
                    let cols = g.validColumns(kx: kx)
                    let base = kx * g.dilationW - g.padLeft
                    if cols.isEmpty { continue }
                    let st = g.strideW
                    for oy in rows {
                        let src = xc + (oy * g.strideH - g.padTop + ky * g.dilationH) * g.inW + base
                        let dst = yc + oy * ow
                        for ox in cols { dst[ox] += wv * src[ox * st] }
                    }
                }
            }
        }
    }

    /// gx[c] += the transposed convolution of gy[c] with w[c].
    static func backward(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, channels: Int, _ g: ConvGeometry) {
        let ow = g.outW, plane = g.outH * ow, inPlane = g.inH * g.inW, kk = g.kernelH * g.kernelW
        Parallel.forEach(channels) { c in
            let gxc = gx + c * inPlane, gyc = gy + c * plane, wc = w + c * kk
            for ky in 0..<g.kernelH {
                let rows = g.validRows(ky: ky)
                for kx in 0..<g.kernelW {
                    let wv = wc[ky * g.kernelW + kx]
                    let cols = g.validColumns(kx: kx)
                    let base = kx * g.dilationW - g.padLeft
                    if cols.isEmpty { continue }
                    let st = g.strideW
                    for oy in rows {
                        let dst = gxc + (oy * g.strideH - g.padTop + ky * g.dilationH) * g.inW + base
                        let src = gyc + oy * ow
                        for ox in cols { dst[ox * st] += wv * src[ox] }
                    }
                }
            }
        }
    }
}
