import Imaging
import Testing
import Viewer
import ViewerCore

extension SDLTests {
    /// The status bar's fault message (e.g. an unplugged camera) stays readable in a narrow window.
    @Suite struct StatusBarTests {
        let source = DemoFrameSource()
        let fault = "/dev/video7: camera disconnected — plug it back in; it will be reopened"

        /// Pixels of the status bar drawn exactly in the warning colour (the cores of the message's glyphs).
        func warningPixels(width: Int, height: Int, status: String) throws -> Int {
            let window = try ViewerWindow(configuration: ViewerConfiguration(output: .headless, width: width, height: height),
                                          state: ViewerState(layerIndex: source.defaultLayer, selectedUnit: 0))
            window.discardPendingEvents()
            var frame = source.frame(at: 0.5, state: window.state)
            frame.source = "camera /dev/video7"
            frame.status = status
            window.draw(frame)
            let bar = window.layout(for: frame).status
            let shot = window.screenshotImage()
            var count = 0
            for y in bar.y..<bar.maxY {
                for x in bar.x..<bar.maxX where shot[x, y] == (Theme.warning.r, Theme.warning.g, Theme.warning.b) { count += 1 }
            }
            return count
        }

        @Test func aFaultIsShownEvenWhereTheRatesWouldFillTheBar() throws {
            let narrow = try warningPixels(width: 640, height: 480, status: fault)
            let wide = try warningPixels(width: 1600, height: 900, status: fault)
            #expect(narrow > 100, "no warning text in a 640-pixel window")
            // Most of the message (only its tail is cut at 640 pixels): compared with a window where everything fits.
            #expect(Double(narrow) > 0.75 * Double(wide), "narrow \(narrow) vs wide \(wide)")
            #expect(try warningPixels(width: 640, height: 480, status: "") == 0)
        }
    }
}
