/// Separable bilinear resampling with antialiasing, the algorithm of Pillow's `Image.resize(…, BILINEAR)`:
/// a triangle filter whose support grows by the downscale factor, normalized weights in 22-bit fixed
/// point, a horizontal pass to an 8-bit intermediate, then a vertical pass. Matching it lets tests
/// compare against Pillow, which the network's reference preprocessing uses.
enum Resampler {
    /// Fixed-point fraction bits (Pillow: 32 − 8 − 2).
    static let precisionBits = 22

    /// Per-output-sample taps along one axis: input window start, length, and `kernelSize` weights.
    struct Taps {
        var start: [Int] = []
        var count: [Int] = []
        var weights: [Int32] = []
        var kernelSize = 0
    }

    /// Taps mapping the input interval `[lower, upper)` (in pixels) of an axis of `inputSize` onto `outputSize` samples.
    static func taps(inputSize: Int, outputSize: Int, lower: Double, upper: Double) -> Taps {
        let scale = (upper - lower) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filterScale  // bilinear support is 1, widened when shrinking (antialiasing)
        var taps = Taps()
        taps.kernelSize = Int(support.rounded(.up)) * 2 + 1
        taps.weights = [Int32](repeating: 0, count: outputSize * taps.kernelSize)
        var raw = [Double](repeating: 0, count: taps.kernelSize)
        for out in 0..<outputSize {
            let centre = lower + (Double(out) + 0.5) * scale
            let first = max(Int(centre - support + 0.5), 0)  // Int() truncates toward zero, like C
            let n = min(Int(centre + support + 0.5), inputSize) - first
            var total = 0.0
            for k in 0..<n {
                let t = abs((Double(k + first) - centre + 0.5) / filterScale)
                raw[k] = t < 1 ? 1 - t : 0
                total += raw[k]
            }
            for k in 0..<n {
                let w = total == 0 ? raw[k] : raw[k] / total
                let fixed = w * Double(1 << precisionBits)
                taps.weights[out * taps.kernelSize + k] = Int32(fixed < 0 ? fixed - 0.5 : fixed + 0.5)
            }
            taps.start.append(first)
            taps.count.append(max(n, 0))
        }
        return taps
    }

    /// Resamples the box `(x0, y0)–(x1, y1)` of `image` (fractional pixel coordinates) to `width`×`height`.
    static func resample(_ image: RGBImage, width: Int, height: Int,
                         box: (x0: Double, y0: Double, x1: Double, y1: Double)) -> RGBImage {
        let needH = width != image.width || box.x0 != 0 || box.x1 != Double(image.width)
        let needV = height != image.height || box.y0 != 0 || box.y1 != Double(image.height)
        var current = image
        var rowOffset = 0
        let vertical = needV ? taps(inputSize: image.height, outputSize: height, lower: box.y0, upper: box.y1) : nil
        if needH {
            let horizontal = taps(inputSize: image.width, outputSize: width, lower: box.x0, upper: box.x1)
            // Only the rows the vertical pass will read.
            let rows: Range<Int>
            if let vertical {
                rows = vertical.start.first!..<(vertical.start.last! + vertical.count.last!)
            } else {
                rows = 0..<image.height
            }
            current = horizontalPass(image, taps: horizontal, width: width, rows: rows)
            rowOffset = rows.lowerBound
        }
        if let vertical { current = verticalPass(current, taps: vertical, height: height, rowOffset: rowOffset) }
        return current
    }

    private static func horizontalPass(_ image: RGBImage, taps: Taps, width: Int, rows: Range<Int>) -> RGBImage {
        var out = [UInt8](repeating: 0, count: width * rows.count * 3)
        let round = Int32(1 << (precisionBits - 1))
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                taps.weights.withUnsafeBufferPointer { w in
                    for (r, y) in rows.enumerated() {
                        let srcRow = y * image.width * 3, dstRow = r * width * 3
                        for x in 0..<width {
                            var s0 = round, s1 = round, s2 = round
                            let base = srcRow + taps.start[x] * 3, wk = x * taps.kernelSize
                            for k in 0..<taps.count[x] {
                                let weight = w[wk + k], p = base + 3 * k
                                s0 &+= Int32(src[p]) &* weight
                                s1 &+= Int32(src[p + 1]) &* weight
                                s2 &+= Int32(src[p + 2]) &* weight
                            }
                            let d = dstRow + 3 * x
                            dst[d] = clip8(s0); dst[d + 1] = clip8(s1); dst[d + 2] = clip8(s2)
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: rows.count, pixels: out)
    }

    private static func verticalPass(_ image: RGBImage, taps: Taps, height: Int, rowOffset: Int) -> RGBImage {
        let rowBytes = image.width * 3
        var out = [UInt8](repeating: 0, count: rowBytes * height)
        var sums = [Int32](repeating: 0, count: rowBytes)
        let round = Int32(1 << (precisionBits - 1))
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                sums.withUnsafeMutableBufferPointer { acc in
                    for y in 0..<height {
                        for i in 0..<rowBytes { acc[i] = round }
                        for k in 0..<taps.count[y] {
                            let weight = taps.weights[y * taps.kernelSize + k]
                            let row = (taps.start[y] + k - rowOffset) * rowBytes
                            for i in 0..<rowBytes { acc[i] &+= Int32(src[row + i]) &* weight }
                        }
                        for i in 0..<rowBytes { dst[y * rowBytes + i] = clip8(acc[i]) }
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: height, pixels: out)
    }

    @inline(__always) private static func clip8(_ sum: Int32) -> UInt8 {
        let v = sum >> Int32(precisionBits)
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(v))
    }
}
