import Foundation
import Tensors
import Testing
import TestSupport
import Visualization

/// The pixel presets' octaves and colour basis: a step direction B Bᵀ ∇ must be symmetric and positive
/// semi-definite (else it is not a change of variables), coarse in early octaves, and favour luminance.
@Suite struct PixelPreconditionerTests {
    func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t[i] = rng.normal() }
        return t
    }

    func dot(_ a: Tensor, _ b: Tensor) -> Double { (0..<a.count).reduce(0) { $0 + Double(a[$1]) * Double(b[$1]) } }

    @Test(arguments: [(1, true), (2, false), (3, true), (4, true)])
    func theStepDirectionIsSymmetricAndPositive(octaves: Int, colour: Bool) {
        // Odd sizes: the coarse grid does not divide the image.
        let p = PixelPreconditioner(options: PixelOptions(octaves: octaves, decorrelatedColour: colour), width: 13, height: 9)
        let a = random([1, 3, 9, 13], seed: 1), b = random([1, 3, 9, 13], seed: 2)
        let pa = p.apply(a, step: 0, iterations: 10), pb = p.apply(b, step: 0, iterations: 10)
        #expect(abs(dot(pa, b) - dot(a, pb)) < 1e-4 * max(1, abs(dot(pa, b))))
        #expect(dot(pa, a) > 0)
    }

    @Test func octavesGoFromCoarseToFullResolution() {
        let p = PixelPreconditioner(options: PixelOptions(octaves: 3), width: 16, height: 16)
        #expect((0..<9).map { p.factor(step: $0, iterations: 9) } == [4, 4, 4, 2, 2, 2, 1, 1, 1])
        // In the first octave a pixel-sized checkerboard (the finest pattern) is almost removed and a constant is kept.
        let checker = Tensor(shape: [1, 3, 16, 16]), flat = Tensor(shape: [1, 3, 16, 16], repeating: 1)
        for i in 0..<checker.count { checker[i] = ((i % 16) + (i / 16)) % 2 == 0 ? 1 : -1 }
        let coarse = p.apply(checker, step: 0, iterations: 9)
        #expect(dot(coarse, coarse) < 0.01 * dot(checker, checker))
        let kept = p.apply(flat, step: 0, iterations: 9)
        #expect((0..<kept.count).allSatisfy { abs(kept[$0] - 1) < 1e-5 })
        // The last octave is the plain gradient.
        #expect(p.apply(checker, step: 8, iterations: 9).array == checker.array)
    }

    @Test func theColourBasisFavoursLuminanceOverChroma() {
        // ImageNet's colours vary most along grey (R = G = B): a step there is kept larger than a red–green one.
        let p = PixelPreconditioner(options: PixelOptions(decorrelatedColour: true), width: 1, height: 1)
        let grey = Tensor(shape: [1, 3, 1, 1], values: [1, 1, 1]), redGreen = Tensor(shape: [1, 3, 1, 1], values: [1, -1, 0])
        let g = p.apply(grey, step: 0, iterations: 1), rg = p.apply(redGreen, step: 0, iterations: 1)
        #expect(dot(g, grey) / dot(grey, grey) > 5 * dot(rg, redGreen) / dot(redGreen, redGreen))
    }
}
