import Foundation

/// Ways to show an input-space gradient (3×H×W floats) as a picture, as in the deep visualization toolbox.
public enum GradientRendering: String, Sendable, CaseIterable {
    /// Signed, per colour channel: zero is mid-gray, the largest magnitude reaches black or white.
    case raw
    /// Signed, summed over colour channels, centred at gray.
    case gray
    /// Per-pixel L2 norm over colour channels, black = 0.
    case norm
    /// The norm blurred with a Gaussian: where the unit looks, rather than pixel noise.
    case normblur

    /// Renders planar `values` (3 planes of `width`×`height`), scaled by their own extreme value.
    public func render(_ values: [Float], width: Int, height: Int) -> RGBImage {
        let plane = width * height
        precondition(values.count == 3 * plane, "GradientRendering: \(values.count) values for 3x\(height)x\(width)")
        var out = [UInt8](repeating: 0, count: plane * 3)
        switch self {
        case .raw:
            let peak = Self.robustPeak(values.map(abs))
            for i in 0..<plane { for c in 0..<3 { out[i * 3 + c] = Self.signed(values[c * plane + i], peak) } }
        case .gray:
            let sum = (0..<plane).map { values[$0] + values[plane + $0] + values[2 * plane + $0] }
            let peak = Self.robustPeak(sum.map(abs))
            for i in 0..<plane { let g = Self.signed(sum[i], peak); out[i * 3] = g; out[i * 3 + 1] = g; out[i * 3 + 2] = g }
        case .norm, .normblur:
            var norm = (0..<plane).map { i -> Float in
                let (r, g, b) = (values[i], values[plane + i], values[2 * plane + i])
                return (r * r + g * g + b * b).squareRoot()
            }
            if self == .normblur { norm = GaussianBlur.apply(norm, width: width, height: height, sigma: Float(max(width, height)) / 100 + 1) }
            let peak = Self.robustPeak(norm)
            for i in 0..<plane {
                let g = peak > 0 && norm[i].isFinite ? UInt8(min(norm[i] / peak * 255, 255).rounded()) : 0
                out[i * 3] = g; out[i * 3 + 1] = g; out[i * 3 + 2] = g
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// The 99.5th percentile of the magnitudes: a few extreme pixels would otherwise leave the rest invisible.
    static func robustPeak(_ magnitudes: [Float]) -> Float {
        let finite = magnitudes.filter(\.isFinite)
        guard !finite.isEmpty else { return 0 }
        let p = OrderStatistic.value(atRank: min(finite.count - 1, Int(Double(finite.count) * 0.995)), in: finite)
        return p > 0 ? p : finite.max()!
    }

    private static func signed(_ v: Float, _ peak: Float) -> UInt8 {
        guard peak > 0, v.isFinite else { return 128 }
        return UInt8(min(max((v / peak * 127.5 + 127.5).rounded(), 0), 255))
    }
}

/// Separable Gaussian blur of one float plane, edges clamped.
public enum GaussianBlur {
    /// The blurred plane; sigma in pixels (no-op for sigma ≤ 0).
    public static func apply(_ values: [Float], width: Int, height: Int, sigma: Float) -> [Float] {
        guard sigma > 0, width > 0, height > 0 else { return values }
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var k = (-r...r).map { Float(Foundation.exp(-Double($0 * $0) / Double(2 * sigma * sigma))) }
        let s = k.reduce(0, +)
        k = k.map { $0 / s }
        var tmp = values, out = values
        for y in 0..<height {
            for x in 0..<width {
                var acc: Float = 0
                for j in -r...r { acc += k[j + r] * values[y * width + min(max(x + j, 0), width - 1)] }
                tmp[y * width + x] = acc
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                var acc: Float = 0
                for j in -r...r { acc += k[j + r] * tmp[min(max(y + j, 0), height - 1) * width + x] }
                out[y * width + x] = acc
            }
        }
        return out
    }
}
