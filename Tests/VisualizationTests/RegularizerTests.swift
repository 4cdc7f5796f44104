import Foundation
import Tensors
import Testing
import TestSupport
import Visualization

/// Each regularizer against the paper's definition on hand-made arrays.
@Suite struct RegularizerTests {
    /// A [1,3,h,w] tensor from three planes.
    func image(_ planes: [[Float]], w: Int, h: Int) -> Tensor { Tensor(shape: [1, 3, h, w], values: planes.flatMap { $0 }) }

    @Test func decayScalesEveryElement() {
        let x = image([[1, -2], [3, 4], [-5, 6]], w: 2, h: 1)
        Regularizer.decay(0.3).apply(to: x, gradient: Tensor(shape: x.shape), step: 0, width: 2, height: 1)
        #expect(x.array == [1, -2, 3, 4, -5, 6].map { Float(0.7) * $0 })
    }

    @Test func percentileMatchesNumpyLinear() {
        // numpy.percentile([1, 2, 3, 4], 50) == 2.5; ([3, 1, 2], 20) == 1.4; (…, 100) == max
        #expect(Percentile.linear([1, 2, 3, 4], 50) == 2.5)
        #expect(abs(Percentile.linear([3, 1, 2], 20) - 1.4) < 1e-6)
        #expect(Percentile.linear([3, 1, 2], 100) == 3)
    }

    @Test func clipSmallNormZeroesPixelsBelowThePercentile() {
        // Pixel norms over channels: p0 = √(9+16+0) = 5, p1 = 1, p2 = √(4+4+1) = 3, p3 = 0.
        let x = image([[3, 1, 2, 0], [4, 0, 2, 0], [0, 0, 1, 0]], w: 4, h: 1)
        // 50th percentile of [5, 1, 3, 0] = 2 → pixels with norm < 2 (p1, p3) become 0 in every channel.
        Regularizer.clipSmallNorm(percentile: 50).apply(to: x, gradient: Tensor(shape: x.shape), step: 0, width: 4, height: 1)
        #expect(x.array == [3, 0, 2, 0, 4, 0, 2, 0, 0, 0, 1, 0])
    }

    @Test func clipSmallContributionUsesAbsoluteChannelSum() {
        let x = image([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]], w: 4, h: 1)
        // Σ_c x·∇ per pixel: 3, −6 (|6|), 0.3, 1.5 → 50th percentile of [3, 6, 0.3, 1.5] = 2.25.
        let g = image([[1, -2, 0.1, 0.5], [1, -2, 0.1, 0.5], [1, -2, 0.1, 0.5]], w: 4, h: 1)
        Regularizer.clipSmallContribution(percentile: 50).apply(to: x, gradient: g, step: 0, width: 4, height: 1)
        #expect(x.array == [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0])
    }

    @Test func blurRunsOnlyEveryNthStep() {
        let planes: [[Float]] = [(0..<12).map(Float.init), (0..<12).map { Float($0 % 5) }, (0..<12).map { Float($0 * $0 % 7) }]
        for step in 0..<5 {
            let x = image(planes, w: 4, h: 3)
            Regularizer.blur(width: 1, every: 4).apply(to: x, gradient: Tensor(shape: x.shape), step: step, width: 4, height: 3)
            #expect((x.array == planes.flatMap { $0 }) == (step % 4 != 0), "step \(step)")
        }
    }

    @Test func blurMatchesTheSeparableGaussianDefinitionWithReflectBorders() {
        // Definition (scipy.ndimage.gaussian_filter, truncate 4): out[y][x] = Σ_i Σ_j k_i k_j in[r(y+i)][r(x+j)],
        // k_i ∝ exp(−i²/2σ²) for |i| ≤ ⌊4σ + 0.5⌋, r reflecting as d c b a | a b c d.
        let w = 5, h = 4, sigma: Float = 0.7
        var rng = SplitMix64(seed: 3)
        let plane = (0..<(w * h)).map { _ in Float.random(in: -50...50, using: &rng) }
        let r = Int(4 * sigma + 0.5)
        let k = (-r...r).map { exp(-Double($0 * $0) / (2 * Double(sigma * sigma))) }
        let ks = k.reduce(0, +)
        func reflect(_ i: Int, _ n: Int) -> Int {
            var j = i
            while j < 0 || j >= n { j = j < 0 ? -j - 1 : 2 * n - j - 1 }
            return j
        }
        let got = GaussianFilter.apply(plane, width: w, height: h, sigma: sigma)
        for y in 0..<h {
            for x in 0..<w {
                var s = 0.0
                for i in -r...r { for j in -r...r { s += k[i + r] * k[j + r] * Double(plane[reflect(y + i, h) * w + reflect(x + j, w)]) } }
                #expect(abs(Double(got[y * w + x]) - s / (ks * ks)) < 1e-4, "(\(y),\(x))")
            }
        }
        // The toolbox's σ = 0.5 kernel has radius ⌊2.5⌋ = 2; σ = 1 has radius 4.
        #expect(GaussianFilter.kernel(sigma: 0.5).count == 5)
        #expect(GaussianFilter.kernel(sigma: 1).count == 9)
    }

    @Test func zeroThetaDisablesARegularizer() {
        #expect(Preset.table1(decay: 0, blurWidth: 0, blurEvery: 4, normPct: 0, contributionPct: 0).isEmpty)
        #expect(Preset.named("paper-3")!.regularizers == [.decay(0.0001), .blur(width: 1, every: 4)])
        #expect(Preset.paper.count == 4 && Preset.named("modern") != nil)
    }
}
