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

    /// Resamples the box `(x0, y0)–(x1, y1)` of `image` (fractional pixel coordinates) to `width`×`height`, and keeps
    /// the output columns `columns` and rows `rows` (default: all), computing only those: the same bytes as resizing
    /// whole and cropping after.
    static func resample(_ image: RGBImage, width: Int, height: Int, box: (x0: Double, y0: Double, x1: Double, y1: Double),
                         columns: Range<Int>? = nil, rows: Range<Int>? = nil) -> RGBImage {
        let keptColumns = columns ?? 0..<width, keptRows = rows ?? 0..<height
        precondition(keptColumns.lowerBound >= 0 && keptColumns.upperBound <= width && !keptColumns.isEmpty
                     && keptRows.lowerBound >= 0 && keptRows.upperBound <= height && !keptRows.isEmpty,
                     "resample window \(keptColumns)×\(keptRows) outside \(width)x\(height)")
        let needH = width != image.width || box.x0 != 0 || box.x1 != Double(image.width)
        let needV = height != image.height || box.y0 != 0 || box.y1 != Double(image.height)
        let vertical = needV ? taps(inputSize: image.height, outputSize: height, lower: box.y0, upper: box.y1) : nil
        // The input rows the kept output rows read (without a vertical pass, those rows themselves).
        let inputRows: Range<Int>
        if let vertical {
            let first = keptRows.map { vertical.start[$0] }.min()!, last = keptRows.map { vertical.start[$0] + vertical.count[$0] }.max()!
            inputRows = first..<last
        } else {
            inputRows = keptRows
        }
        let current: RGBImage
        if needH {
            let horizontal = taps(inputSize: image.width, outputSize: width, lower: box.x0, upper: box.x1)
            current = horizontalPass(image, taps: horizontal, columns: keptColumns, rows: inputRows)
        } else {
            current = image.cropped(x: keptColumns.lowerBound, y: inputRows.lowerBound, width: keptColumns.count, height: inputRows.count)
        }
        guard let vertical else { return current }
        return verticalPass(current, taps: vertical, rows: keptRows, rowOffset: inputRows.lowerBound)
    }

    // Both passes walk raw pointers with wrapping index arithmetic: every index is bounded by the image sizes checked
    // in `resample`, and the overflow checks of `row + i` had kept the vertical pass from vectorizing (the live
    // forward thread spent 2–3 ms a frame here).
    /// Output columns `columns` of the input rows `rows`.
    private static func horizontalPass(_ image: RGBImage, taps: Taps, columns: Range<Int>, rows: Range<Int>) -> RGBImage {
        let width = columns.count
        var out = [UInt8](repeating: 0, count: width * rows.count * 3)
        let round = Int32(1 << (precisionBits - 1)), kernelSize = taps.kernelSize, rowBytes = image.width &* 3
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                taps.weights.withUnsafeBufferPointer { w in
                    taps.start.withUnsafeBufferPointer { start in
                        taps.count.withUnsafeBufferPointer { count in
                            var d = dst.baseAddress!
                            for y in rows {
                                let srcRow = src.baseAddress! + y &* rowBytes
                                for x in columns {
                                    var s0 = round, s1 = round, s2 = round
                                    var p = srcRow + start[x] &* 3, weight = w.baseAddress! + x &* kernelSize
                                    for _ in 0..<count[x] {
                                        let wk = weight.pointee
                                        s0 &+= Int32(p[0]) &* wk
                                        s1 &+= Int32(p[1]) &* wk
                                        s2 &+= Int32(p[2]) &* wk
                                        p += 3
                                        weight += 1
                                    }
                                    d[0] = clip8(s0); d[1] = clip8(s1); d[2] = clip8(s2)
                                    d += 3
                                }
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: rows.count, pixels: out)
    }

    /// Output rows `rows` from `image`, whose first row is input row `rowOffset`.
    private static func verticalPass(_ image: RGBImage, taps: Taps, rows: Range<Int>, rowOffset: Int) -> RGBImage {
        let rowBytes = image.width * 3, height = rows.count
        var out = [UInt8](repeating: 0, count: rowBytes * height)
        var sums = [Int32](repeating: 0, count: rowBytes)
        let round = Int32(1 << (precisionBits - 1))
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                sums.withUnsafeMutableBufferPointer { acc in
                    let a = acc.baseAddress!
                    for (outRow, y) in rows.enumerated() {
                        for i in 0..<rowBytes { a[i] = round }
                        for k in 0..<taps.count[y] {
                            let weight = taps.weights[y &* taps.kernelSize &+ k]
                            let row = src.baseAddress! + (taps.start[y] &+ k &- rowOffset) &* rowBytes
                            for i in 0..<rowBytes { a[i] &+= Int32(row[i]) &* weight }
                        }
                        let d = dst.baseAddress! + outRow &* rowBytes
                        for i in 0..<rowBytes { d[i] = clip8(a[i]) }
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
