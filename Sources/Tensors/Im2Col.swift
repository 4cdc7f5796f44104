/// The geometry of a 2-D convolution or pooling window over one image plane.
public struct ConvGeometry: Sendable, Equatable {
    public var inH: Int, inW: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    public var dilationH: Int, dilationW: Int

    public init(inH: Int, inW: Int, kernelH: Int, kernelW: Int, strideH: Int = 1, strideW: Int = 1,
                padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
                dilationH: Int = 1, dilationW: Int = 1) {
        self.inH = inH; self.inW = inW; self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        self.dilationH = dilationH; self.dilationW = dilationW
    }

    /// Output height: floor((H + pads − dilation·(k−1) − 1) / stride) + 1.
    public var outH: Int { (inH + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    /// Output width, likewise.
    public var outW: Int { (inW + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1 }

    /// The output columns `ox` whose input column `ox·stride − padLeft + kx·dilation` lies inside the image.
    @inline(__always)
    public func validColumns(kx: Int) -> Range<Int> {
        let off = kx * dilationW - padLeft
        let lo = off >= 0 ? 0 : (-off + strideW - 1) / strideW
        let hi = (inW - 1 - off) >= 0 ? (inW - 1 - off) / strideW + 1 : 0
        return lo..<max(lo, min(hi, outW))
    }

    /// Likewise for output rows.
    @inline(__always)
    public func validRows(ky: Int) -> Range<Int> {
        let off = ky * dilationH - padTop
        let lo = off >= 0 ? 0 : (-off + strideH - 1) / strideH
        let hi = (inH - 1 - off) >= 0 ? (inH - 1 - off) / strideH + 1 : 0
        return lo..<max(lo, min(hi, outH))
    }
}

/// Unfolds image patches into columns so that convolution becomes one matrix product.
public enum Im2Col {
    /// col[(c·kh + ky)·kw + kx][oy·outW + ox] = x[c][oy·s − pad + ky·d][ox·s − pad + kx·d] (0 outside).
    ///
    /// One task per row of `col` (a stem has 27 of them, but only 3 channels to share between threads); each
    /// element is written once, the zeros of the padding included.
    public static func unfold(_ x: UnsafePointer<Float>, channels: Int, _ g: ConvGeometry, into col: UnsafeMutablePointer<Float>) {
        let oh = g.outH, ow = g.outW, plane = oh * ow, taps = g.kernelH * g.kernelW
        Parallel.forEach(channels * taps) { r in
            let c = r / taps, ky = r % taps / g.kernelW, kx = r % g.kernelW
            let xc = x + c * g.inH * g.inW
            let dst = col + r * plane
            let rows = g.validRows(ky: ky), cols = g.validColumns(kx: kx)
            dst.update(repeating: 0, count: rows.lowerBound * ow)
            (dst + rows.upperBound * ow).update(repeating: 0, count: (oh - rows.upperBound) * ow)
            let base = kx * g.dilationW - g.padLeft
            for oy in rows {
                let src = xc + (oy * g.strideH - g.padTop + ky * g.dilationH) * g.inW + base
                let d = dst + oy * ow
                for ox in 0..<cols.lowerBound { d[ox] = 0 }
                for ox in cols.upperBound..<ow { d[ox] = 0 }
                var ox = cols.lowerBound
                if g.strideW == 1 {
                    (d + ox).update(from: src + ox, count: cols.count)
                    continue
                }
                if g.strideW == 2 {
                    // Every other input: the even half of 16 consecutive ones.
                    while ox + 8 <= cols.upperBound && 2 * ox + base + 16 <= g.inW {
                        let v = UnsafeRawPointer(src + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(d + ox).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                        ox += 8
                    }
                }
                while ox < cols.upperBound { d[ox] = src[ox * g.strideW]; ox += 1 }
            }
        }
    }

    /// The adjoint of `unfold`: adds each column entry back onto the image pixel it came from.
    public static func fold(_ col: UnsafePointer<Float>, channels: Int, _ g: ConvGeometry, addingInto x: UnsafeMutablePointer<Float>) {
        let oh = g.outH, ow = g.outW, plane = oh * ow
        Parallel.forEach(channels) { c in
            let xc = x + c * g.inH * g.inW
            for ky in 0..<g.kernelH {
                let rows = g.validRows(ky: ky)
                for kx in 0..<g.kernelW {
                    let src = col + ((c * g.kernelH + ky) * g.kernelW + kx) * plane
                    let cols = g.validColumns(kx: kx)
                    for oy in rows {
                        let dst = xc + (oy * g.strideH - g.padTop + ky * g.dilationH) * g.inW
                        let s = src + oy * ow
                        let base = kx * g.dilationW - g.padLeft
                        for ox in cols { dst[ox * g.strideW + base] += s[ox] }
                    }
                }
            }
        }
    }
}
