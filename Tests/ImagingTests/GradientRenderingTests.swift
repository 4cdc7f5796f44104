import Imaging
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

    @Test func keyCyclingOrderIsRawGrayNormNormblur() {
        #expect(GradientRendering.allCases == [.raw, .gray, .norm, .normblur])
    }
}
