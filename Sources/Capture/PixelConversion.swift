import Imaging

/// Pixel-format conversions for camera buffers that arrive in formats other than RGB.
public enum PixelConversion {
    /// YUYV 4:2:2 (Y0 U Y1 V per two pixels, BT.601 limited range, as webcams send) to RGB8.
    /// Each chroma pair is shared by its two pixels; `bytesPerLine` may exceed `width * 2` (row padding).
    public static func yuyvToRGB(_ yuyv: UnsafeRawBufferPointer, width: Int, height: Int,
                                 bytesPerLine: Int? = nil) -> RGBImage {
        let stride = bytesPerLine ?? width * 2
        precondition(width % 2 == 0 && yuyv.count >= stride * (height - 1) + width * 2,
                     "YUYV buffer of \(yuyv.count) bytes too small for \(width)x\(height)")
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { out, count in
            let src = yuyv.bindMemory(to: UInt8.self)
            for y in 0..<height {
                var s = y * stride, d = y * width * 3
                for _ in 0..<(width / 2) {
                    // 16.16 fixed point of the BT.601 limited-range matrix.
                    let u = Int32(src[s + 1]) - 128, v = Int32(src[s + 3]) - 128
                    let rv = 104_597 * v, gu = -25_675 * u, gv = -53_279 * v, bu = 132_201 * u
                    for luma in 0..<2 {
                        let c = (Int32(src[s + 2 * luma]) - 16) * 76_309 + 32_768
                        out[d] = clamp((c + rv) >> 16)
                        out[d + 1] = clamp((c + gu + gv) >> 16)
                        out[d + 2] = clamp((c + bu) >> 16)
                        d += 3
                    }
                    s += 4
                }
            }
            count = width * height * 3
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Packed RGB24 rows (possibly padded) to an `RGBImage`.
    public static func rgb24ToRGB(_ rgb: UnsafeRawBufferPointer, width: Int, height: Int,
                                  bytesPerLine: Int? = nil) -> RGBImage {
        let stride = bytesPerLine ?? width * 3
        precondition(rgb.count >= stride * (height - 1) + width * 3, "RGB24 buffer too small")
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height { pixels.append(contentsOf: rgb[(y * stride)..<(y * stride + width * 3)]) }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    @inline(__always) private static func clamp(_ v: Int32) -> UInt8 {
        v < 0 ? 0 : (v > 255 ? 255 : UInt8(v))
    }
}
