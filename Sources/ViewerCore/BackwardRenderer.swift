import Imaging

/// Turns a raw backward image (3×H×W floats) into pixels in one of the toolbox's renderings.
public enum BackwardRenderer {
    /// `image` rendered as `rendering`; all renderings scale by the image's own extreme value.
    public static func render(_ image: BackwardImage, as rendering: BackwardRendering) -> RGBImage {
        let plane = image.width * image.height
        let v = image.values
        switch rendering {
        case .raw:
            // Signed: zero is mid-gray, the largest magnitude reaches black or white.
            let peak = v.reduce(0) { max($0, abs($1)) }
            var out = [UInt8](repeating: 0, count: plane * 3)
            for i in 0..<plane { for c in 0..<3 { out[i * 3 + c] = signedLevel(v[c * plane + i], peak) } }
            return RGBImage(width: image.width, height: image.height, pixels: out)
        case .gray:
            let mean = (0..<plane).map { (v[$0] + v[plane + $0] + v[2 * plane + $0]) / 3 }
            let peak = mean.reduce(0) { max($0, abs($1)) }
            return grayImage(mean.map { signedLevel($0, peak) }, image.width, image.height)
        case .norm, .normBlur:
            var norm = (0..<plane).map { i in
                (v[i] * v[i] + v[plane + i] * v[plane + i] + v[2 * plane + i] * v[2 * plane + i]).squareRoot()
            }
            if rendering == .normBlur {
                let radius = max(min(image.width, image.height) / 40, 1)
                norm = boxBlur(boxBlur(norm, image.width, image.height, radius), image.width, image.height, radius)
            }
            let peak = norm.max() ?? 0
            return grayImage(norm.map { peak > 0 ? UInt8(min($0 / peak * 255, 255).rounded()) : 0 }, image.width, image.height)
        }
    }

    private static func signedLevel(_ value: Float, _ peak: Float) -> UInt8 {
        guard peak > 0 else { return 128 }
        return UInt8(min(max((value / peak * 127.5 + 127.5).rounded(), 0), 255))
    }

    private static func grayImage(_ levels: [UInt8], _ width: Int, _ height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: levels.count * 3)
        for (i, g) in levels.enumerated() { pixels[i * 3] = g; pixels[i * 3 + 1] = g; pixels[i * 3 + 2] = g }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A separable box blur; applied twice it approximates a Gaussian at a fraction of the cost.
    static func boxBlur(_ values: [Float], _ width: Int, _ height: Int, _ radius: Int) -> [Float] {
        var horizontal = values
        for y in 0..<height {
            for x in 0..<width {
                let lo = max(x - radius, 0), hi = min(x + radius, width - 1)
                var sum: Float = 0
                for k in lo...hi { sum += values[y * width + k] }
                horizontal[y * width + x] = sum / Float(hi - lo + 1)
            }
        }
        var out = horizontal
        for y in 0..<height {
            let lo = max(y - radius, 0), hi = min(y + radius, height - 1)
            for x in 0..<width {
                var sum: Float = 0
                for k in lo...hi { sum += horizontal[k * width + x] }
                out[y * width + x] = sum / Float(hi - lo + 1)
            }
        }
        return out
    }
}
