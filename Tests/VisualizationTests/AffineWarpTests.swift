import Tensors
import Testing
import TestSupport
import Visualization

/// The ascent's jitter: bilinear warps, their adjoint (the gradient through the jitter), and the forms that write into
/// a buffer the ascent reuses every step.
@Suite struct AffineWarpTests {
    static let warps = [
        AffineWarp(dx: 2, dy: -1),
        AffineWarp(dx: 0.5, dy: 1.25, scale: 1.1, radians: 0.09),
        AffineWarp(dx: -3, dy: 2, scale: 0.9, radians: -0.2),   // reaches past the edges: clamped reads
    ]

    /// ⟨warp(x), y⟩ = ⟨x, adjoint(y)⟩ for random x and y, summed in Double: the adjoint is the warp's transpose.
    @Test(arguments: 0..<3)
    func adjointIsTheTransposeOfTheWarp(_ which: Int) {
        var rng = SplitMix64(seed: 41)
        let warp = Self.warps[which], shape = [1, 3, 9, 11]
        let x = Tensor.random(shape, using: &rng), y = Tensor.random(shape, using: &rng)
        let wx = warp.apply(x, width: 11, height: 9), aty = warp.adjoint(y, width: 11, height: 9)
        let left = (0..<x.count).reduce(0.0) { $0 + Double(wx[$1]) * Double(y[$1]) }
        let right = (0..<x.count).reduce(0.0) { $0 + Double(x[$1]) * Double(aty[$1]) }
        #expect(abs(left - right) <= 1e-5 * max(abs(left), 1), "\(warp): \(left) against \(right)")
    }

    /// A whole-pixel shift moves every pixel, replicating the edge ones: out[y][x] = in[clamp(y − dy)][clamp(x − dx)].
    @Test func aWholePixelShiftMovesThePixels() {
        var rng = SplitMix64(seed: 42)
        let (h, w) = (6, 8), x = Tensor.random([1, 2, h, w], using: &rng)
        let out = AffineWarp(dx: 2, dy: -1).apply(x, width: w, height: h)
        for c in 0..<2 {
            for oy in 0..<h {
                for ox in 0..<w {
                    let sy = min(max(oy + 1, 0), h - 1), sx = min(max(ox - 2, 0), w - 1)
                    #expect(out[(c * h + oy) * w + ox] == x[(c * h + sy) * w + sx], "channel \(c) at (\(oy), \(ox))")
                }
            }
        }
        #expect(AffineWarp().apply(x, width: w, height: h).array == x.array)
    }

    /// Writing into a buffer that holds an earlier step's values gives what a fresh one gives.
    @Test(arguments: 0..<3)
    func intoAUsedBufferEqualsIntoAFreshOne(_ which: Int) {
        var rng = SplitMix64(seed: 43)
        let warp = Self.warps[which], shape = [1, 3, 9, 11]
        let x = Tensor.random(shape, using: &rng)
        let used = Tensor(shape: shape, repeating: 7)
        warp.apply(x, into: used, width: 11, height: 9)
        #expect(used.array == warp.apply(x, width: 11, height: 9).array)
        let usedAgain = Tensor(shape: shape, repeating: -3)
        warp.adjoint(x, into: usedAgain, width: 11, height: 9)
        #expect(usedAgain.array == warp.adjoint(x, width: 11, height: 9).array)
    }
}
