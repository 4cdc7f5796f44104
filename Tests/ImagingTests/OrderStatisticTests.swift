import Imaging
import TestSupport
import Testing

/// The bucketed selection against a full sort, the definition of a rank.
@Suite struct OrderStatisticTests {
    static func check(_ values: [Float], ranks: [Int], _ what: String) {
        let sorted = values.sorted()
        for r in ranks {
            let got = OrderStatistic.value(atRank: r, in: values), want = sorted[r]
            #expect(got == want || (got.isNaN && want.isNaN), "\(what): rank \(r) of \(values.count): \(got), sorted gives \(want)")
        }
    }

    @Test func everyRankOfSmallArrays() {
        var rng = SplitMix64(seed: 51)
        for n in [1, 2, 3, 7, 8, 9, 64, 100] {
            let values = (0..<n).map { _ in Float.random(in: -5...5, using: &rng) }
            Self.check(values, ranks: Array(0..<n), "uniform")
            // Many ties: small integers.
            Self.check(values.map { $0.rounded() }, ranks: Array(0..<n), "ties")
        }
    }

    @Test func largeArraysLikeAGradientImage() {
        var rng = SplitMix64(seed: 52)
        let n = 3 * 224 * 224
        // Heavy-tailed magnitudes, as a gradient's: most tiny, a few large.
        let values = (0..<n).map { _ in Float.random(in: 0...1, using: &rng) * Float.random(in: 0...1, using: &rng) * Float.random(in: 0...1, using: &rng) }
        let ranks = [0, 1, n / 2, Int(Double(n) * 0.995), n - 2, n - 1] + (0..<20).map { _ in Int.random(in: 0..<n, using: &rng) }
        Self.check(values, ranks: ranks, "gradient-like")
        Self.check(values.map { -$0 }, ranks: ranks, "negated")
        // Half zeros: the lowest bucket holds a tie of 75 000.
        Self.check(values.enumerated().map { $0.offset % 2 == 0 ? 0 : $0.element }, ranks: ranks, "half zeros")
    }

    @Test func degenerateInputs() {
        Self.check([Float](repeating: 2.5, count: 1000), ranks: [0, 500, 999], "all equal")
        Self.check([-3e38, 3e38, 0, 1, -1, 2e38], ranks: Array(0..<6), "a range too wide to bucket")
        Self.check([1, .infinity, -2, 5, -.infinity, 0], ranks: Array(0..<6), "infinities")
        Self.check([1, 1e-30, 2e-30, 0, 3e-30, 1e-30], ranks: Array(0..<6), "values closer than a bucket")
    }
}
