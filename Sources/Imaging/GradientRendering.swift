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
    ///
    /// Why the raw loops: the live window renders each probe result (3×224×224, up to 20 a second) on its drawing
    /// thread, which shares two cores with the forward pass; with array maps, a key-path filter and bounds-checked
    /// stores one rendering took about 2 ms, a sixth of that thread's time (perf, BENCHMARKS.md).
    public func render(_ values: [Float], width: Int, height: Int) -> RGBImage {
        let plane = width * height
        precondition(values.count == 3 * plane, "GradientRendering: \(values.count) values for 3x\(height)x\(width)")
        var out = [UInt8](repeating: 0, count: plane * 3)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                switch self {
                case .raw:
                    let peak = Self.robustPeak(count: 3 * plane) { abs(v[$0]) }
                    for c in 0..<3 {
                        for i in 0..<plane { o[i * 3 + c] = Self.signed(v[c * plane + i], peak) }
                    }
                case .gray:
                    let sum = [Float](unsafeUninitializedCapacity: plane) { s, n in
                        for i in 0..<plane { s[i] = v[i] + v[plane + i] + v[2 * plane + i] }
                        n = plane
                    }
                    let peak = Self.robustPeak(count: plane) { abs(sum[$0]) }
                    for i in 0..<plane {
                        let g = Self.signed(sum[i], peak)
                        o[i * 3] = g; o[i * 3 + 1] = g; o[i * 3 + 2] = g
                    }
                case .norm, .normblur:
                    var norm = [Float](unsafeUninitializedCapacity: plane) { s, n in
                        for i in 0..<plane {
                            let (r, g, b) = (v[i], v[plane + i], v[2 * plane + i])
                            s[i] = (r * r + g * g + b * b).squareRoot()
                        }
                        n = plane
                    }
                    if self == .normblur {
                        norm = GaussianBlur.apply(norm, width: width, height: height, sigma: Float(max(width, height)) / 100 + 1)
                    }
                    let peak = Self.robustPeak(count: plane) { norm[$0] }
                    for i in 0..<plane {
                        let g = peak > 0 && norm[i].isFinite ? UInt8(min(norm[i] / peak * 255, 255).rounded()) : 0
                        o[i * 3] = g; o[i * 3 + 1] = g; o[i * 3 + 2] = g
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// The 99.5th percentile of the finite magnitudes `magnitude(0..<count)`: a few extreme pixels would otherwise
    /// leave the rest invisible.
    @inline(__always)
    static func robustPeak(count: Int, _ magnitude: (Int) -> Float) -> Float {
        let finite = [Float](unsafeUninitializedCapacity: count) { s, n in
            n = 0
            for i in 0..<count {
                let m = magnitude(i)
                s[n] = m
                n &+= m.isFinite ? 1 : 0
            }
        }
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
