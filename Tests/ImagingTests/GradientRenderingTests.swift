import Imaging
import TestSupport
import Testing

/// The viewer's backward renderings (raw → gray → norm → normblur) on tiny exact arrays.
struct GradientRenderingTests {
    func planes(_ r: [Float], _ g: [Float], _ b: [Float]) -> [Float] { r + g + b }

    @Test func rawIsSignedAroundMidGray() {
        let out = GradientRendering.raw.render(planes([-2, 0, 2], [1, 0, 0], [0, 0, 0]), width: 3, height: 1)
        #expect(out[0, 0] == (0, 191, 128))
        #expect(out[1, 0] == (128, 128, 128))
        #expect(out[2, 0].r == 255)
    }

    @Test func grayCombinesChannels() {
        let out = GradientRendering.gray.render(planes([3, -3], [0, 0], [0, 0]), width: 2, height: 1)
        #expect(out[0, 0] == (255, 255, 255))
        #expect(out[1, 0] == (0, 0, 0))
    }

    @Test func normIsTheChannelMagnitude() {
        let out = GradientRendering.norm.render(planes([3, 0, 0], [4, 0, -2.5], [0, 0, 0]), width: 3, height: 1)
        #expect(out[0, 0].r == 255)
        #expect(out[1, 0].r == 0)
        #expect(out[2, 0].r == 128)
    }

    @Test func normBlurSpreadsAPeak() {
        var values = [Float](repeating: 0, count: 3 * 81)
        values[40] = 1
        let out = GradientRendering.normblur.render(values, width: 9, height: 9)
        #expect(out[4, 4].r == 255)
        #expect(out[5, 4].r > 0 && out[4, 5].r > 0)
        #expect(out[0, 0].r < out[3, 4].r)
    }

    @Test func zeroGradientIsMidGrayOrBlack() {
        let zero = planes([0, 0], [0, 0], [0, 0])
        #expect(GradientRendering.raw.render(zero, width: 2, height: 1)[0, 0] == (128, 128, 128))
        #expect(GradientRendering.norm.render(zero, width: 2, height: 1)[0, 0] == (0, 0, 0))
    }

    /// A probe-sized gradient with outliers and non-finite values against the definition: each pixel scaled by the
    /// 99.5th percentile of the finite magnitudes, taken from a full sort.
    @Test func largeGradientMatchesThePercentileDefinition() {
        var rng = SplitMix64(seed: 61)
        let (w, h) = (224, 224), plane = w * h
        var values = (0..<3 * plane).map { _ in Float.random(in: -1...1, using: &rng) * Float.random(in: 0...1, using: &rng) }
        for i in stride(from: 17, to: values.count, by: 997) { values[i] *= 1000 }
        values[5] = .nan; values[plane + 9] = .infinity; values[2 * plane + 11] = -.infinity
        func percentile(_ m: [Float]) -> Float {
            let f = m.filter { $0.isFinite }.sorted()
            let p = f[min(f.count - 1, Int(Double(f.count) * 0.995))]
            return p > 0 ? p : f.last!
        }
        func signed(_ v: Float, _ peak: Float) -> UInt8 {
            v.isFinite ? UInt8(min(max((v / peak * 127.5 + 127.5).rounded(), 0), 255)) : 128
        }
        let rawPeak = percentile(values.map { abs($0) })
        let raw = GradientRendering.raw.render(values, width: w, height: h)
        let sums = (0..<plane).map { values[$0] + values[plane + $0] + values[2 * plane + $0] }
        let grayPeak = percentile(sums.map { abs($0) })
        let gray = GradientRendering.gray.render(values, width: w, height: h)
        let norms = (0..<plane).map { i in (0..<3).map { values[$0 * plane + i] * values[$0 * plane + i] }.reduce(0, +).squareRoot() }
        let normPeak = percentile(norms)
        let norm = GradientRendering.norm.render(values, width: w, height: h)
        var mismatches = 0
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let r = raw[x, y], g = gray[x, y], n = norm[x, y]
                let wantRaw = (signed(values[i], rawPeak), signed(values[plane + i], rawPeak), signed(values[2 * plane + i], rawPeak))
                let wantNorm = norms[i].isFinite ? UInt8(min(norms[i] / normPeak * 255, 255).rounded()) : 0
                if r != wantRaw || g.r != signed(sums[i], grayPeak) || n.r != wantNorm { mismatches += 1 }
            }
        }
        #expect(mismatches == 0, "\(mismatches) pixels differ from the definition")
        // One value in 997 is 1000 times larger: the peak is not theirs.
        #expect(rawPeak <= 1)
    }

    @Test func keyCyclingOrderIsRawGrayNormNormblur() {
        #expect(GradientRendering.allCases == [.raw, .gray, .norm, .normblur])
    }
}
