/// Lays equally treated images out in a grid on a dark background, row-major.
public enum ContactSheet {
    /// A grid of `images` with `columns` columns (default ≈ √n) and `gap` pixels between cells.
    public static func make(_ images: [RGBImage], columns: Int? = nil, gap: Int = 4, background: UInt8 = 24) -> RGBImage {
        guard !images.isEmpty else { return RGBImage(width: 1, height: 1) }
        let cols = max(1, columns ?? Int(Double(images.count).squareRoot().rounded(.up)))
        let rows = (images.count + cols - 1) / cols
        let cw = images.map(\.width).max()!, ch = images.map(\.height).max()!
        let w = cols * cw + (cols + 1) * gap, h = rows * ch + (rows + 1) * gap
        var out = RGBImage(width: w, height: h, fill: (background, background, background))
        for (i, img) in images.enumerated() {
            let x0 = gap + (i % cols) * (cw + gap), y0 = gap + (i / cols) * (ch + gap)
            for y in 0..<img.height {
                let src = y * img.width * 3, dst = ((y0 + y) * w + x0) * 3
                out.pixels.replaceSubrange(dst..<(dst + img.width * 3), with: img.pixels[src..<(src + img.width * 3)])
            }
        }
        return out
    }
}
