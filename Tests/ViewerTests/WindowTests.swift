import Foundation
import TestSupport
import Testing
import Viewer
import ViewerCore

extension SDLTests {
    /// A real window on an X display (the test command runs the suite under xvfb-run); fails without DISPLAY.
    @Suite struct WindowTests {
        @Test func realWindowDrawsTilesAndTakesClicksAndKeys() throws {
            try Fixtures.requireDisplay()
            let source = DemoFrameSource()
            let window = try ViewerWindow(configuration: ViewerConfiguration(output: .window, width: 1024, height: 640),
                                          state: ViewerState(layerIndex: source.defaultLayer))
            window.discardPendingEvents()
            var frame = source.frame(at: 0, state: window.state)
            window.draw(frame)
            #expect(window.size == (1024, 640))
            let grid = window.layout(for: frame).grid
            #expect(grid.count == 256)
            let target = grid.rect(of: 200)
            window.injectClick(x: target.center.x, y: target.center.y)
            window.injectKey("b")
            let commands = window.handleEvents()
            #expect(commands.contains(.selectUnit(200)) && commands.contains(.cycleBackwardMode))
            frame = source.frame(at: 0.1, state: window.state)
            window.draw(frame)
            let shot = window.screenshotImage()
            let accent = (Theme.accent.r, Theme.accent.g, Theme.accent.b)
            #expect(shot[target.x - 1, target.center.y] == accent)
            #expect(window.state.backwardMode == .deconvnet)
        }
    }
}
