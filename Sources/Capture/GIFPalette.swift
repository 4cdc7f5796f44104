import Imaging

/// A 256-colour palette for a whole clip by median cut, and the pixel → index mapping.
///
/// GIF frames are 8-bit indexed. One palette shared by every frame (rather than FFmpeg's
/// per-frame local tables) keeps colours from flickering between frames of a slow optimization,
/// and swscale cannot make PAL8 itself, so the quantization is ours.
struct GIFPalette {
    /// Colours as 0xAARRGGBB (fully opaque), as FFmpeg's PAL8 frames store them; at most 256.
    let colours: [UInt32]
    /// Palette index for every 5-5-5 bit colour bin.
    private let lookup: [UInt8]

    /// Median cut over the 5-5-5 bit histogram of all `frames`.
    init(frames: [RGBImage]) {
        var count = [Int](repeating: 0, count: 1 << 15)
        var sum = [SIMD3<Double>](repeating: .zero, count: 1 << 15)
        for frame in frames {
            let p = frame.pixels
            for i in stride(from: 0, to: p.count, by: 3) {
                let bin = Self.bin(p[i], p[i + 1], p[i + 2])
                count[bin] += 1
                sum[bin] += SIMD3(Double(p[i]), Double(p[i + 1]), Double(p[i + 2]))
            }
        }
        var boxes = [ColourBox(bins: count.indices.filter { count[$0] > 0 }, count: count)]
        while boxes.count < 256 {
            // Split the box that spans the widest range weighted by how many pixels it holds.
            guard let i = boxes.indices.filter({ boxes[$0].bins.count > 1 }).max(by: { boxes[$0].priority < boxes[$1].priority })
            else { break }
            let (a, b) = boxes[i].split(count: count)
            boxes[i] = a
            boxes.append(b)
        }
        var means: [SIMD3<Double>] = boxes.map { box in
            let n = box.bins.reduce(0) { $0 + count[$1] }
            let s = box.bins.reduce(SIMD3<Double>.zero) { $0 + sum[$1] }
            return n > 0 ? s / Double(n) : .zero
        }
        if means.isEmpty { means = [.zero] }
        colours = means.map { m in
            let c = m.rounded(.toNearestOrEven)
            return 0xFF00_0000 | UInt32(c.x) << 16 | UInt32(c.y) << 8 | UInt32(c.z)
        }
        var table = [UInt8](repeating: 0, count: 1 << 15)
        for bin in 0..<(1 << 15) where count[bin] > 0 {
            let c = sum[bin] / Double(count[bin])
            var best = 0, bestDistance = Double.infinity
            for (k, m) in means.enumerated() {
                let d = c - m
                let distance = (d * d).sum()
                if distance < bestDistance { bestDistance = distance; best = k }
            }
            table[bin] = UInt8(best)
        }
        lookup = table
    }

    /// The palette index of one pixel (any colour of the frames the palette was made from).
    func index(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 { lookup[Self.bin(r, g, b)] }

    private static func bin(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        Int(r >> 3) << 10 | Int(g >> 3) << 5 | Int(b >> 3)
    }
}

/// A set of histogram bins (a box in RGB space) during median cut.
private struct ColourBox {
    var bins: [Int]
    let priority: Double
    let axis: Int

    init(bins: [Int], count: [Int]) {
        self.bins = bins
        var lo = [31, 31, 31], hi = [0, 0, 0]
        var population = 0
        for bin in bins {
            let c = [bin >> 10, (bin >> 5) & 31, bin & 31]
            for k in 0..<3 { lo[k] = min(lo[k], c[k]); hi[k] = max(hi[k], c[k]) }
            population += count[bin]
        }
        let ranges = (0..<3).map { max(hi[$0] - lo[$0], 0) }
        axis = ranges.indices.max { ranges[$0] < ranges[$1] } ?? 0
        priority = Double(ranges[axis]) * Double(population).squareRoot()
    }

    /// Halves the box at the pixel median along its longest axis.
    func split(count: [Int]) -> (ColourBox, ColourBox) {
        let shift = [10, 5, 0][axis]
        let sorted = bins.sorted { (($0 >> shift) & 31, $0) < (($1 >> shift) & 31, $1) }
        let total = sorted.reduce(0) { $0 + count[$1] }
        var running = 0, cut = 1
        for (i, bin) in sorted.enumerated() {
            running += count[bin]
            if running * 2 >= total { cut = i + 1; break }
        }
        cut = min(max(cut, 1), sorted.count - 1)
        return (ColourBox(bins: Array(sorted[..<cut]), count: count), ColourBox(bins: Array(sorted[cut...]), count: count))
    }
}
