import Foundation
import Imaging
import Testing
import Viewer
import ViewerCore

extension SDLTests {
    /// Screenshots, text caching and the demo loop in headless mode.
    @Suite struct ScreenshotTests {
        func temporaryDirectory() throws -> String {
            let path = NSTemporaryDirectory() + "deepvis-viewer-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }

        @Test func savesAPNGOfTheWindow() throws {
            let window = try ViewerWindow(configuration: ViewerConfiguration(output: .headless, width: 640, height: 400))
            let source = DemoFrameSource()
            window.draw(source.frame(at: 0, state: window.state))
            let dir = try temporaryDirectory()
            try window.saveScreenshot(to: dir + "/shot.png")
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/shot.png"))
            #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            let decoded = try RGBImage(contentsOfFile: dir + "/shot.png")
            #expect(decoded == window.screenshotImage())
            // Set DEEPVIS_SCREENSHOT_DIR to keep a screenshot for looking at.
            if let keep = ProcessInfo.processInfo.environment["DEEPVIS_SCREENSHOT_DIR"] {
                let window = try ViewerWindow(configuration: ViewerConfiguration(output: .headless),
                                              state: ViewerState(layerIndex: source.defaultLayer, selectedUnit: 42))
                window.injectMouseMove(x: 700, y: 300)
                _ = window.handleEvents()
                window.draw(source.frame(at: 4, state: window.state))
                try window.saveScreenshot(to: keep + "/viewer.png")
                window.apply(.toggleHelp)
                window.draw(source.frame(at: 4.1, state: window.state))
                try window.saveScreenshot(to: keep + "/viewer-help.png")
                try ViewerDemo.run(configuration: ViewerConfiguration(output: .headless, width: 900, height: 560),
                                   keys: KeySequence.parse("0:o,0:n,0:n,0:e,1:u,1:u,1:u"), maxFrames: 2, outDirectory: keep)
            }
        }

        @Test func textTexturesAreReusedAcrossFrames() throws {
            let window = try ViewerWindow(configuration: ViewerConfiguration(output: .headless, width: 900, height: 600))
            let source = DemoFrameSource()
            let frame = source.frame(at: 0, state: window.state)
            window.draw(frame)
            let cached = window.cachedTextCount
            for _ in 0..<5 { window.draw(frame) }
            #expect(window.cachedTextCount <= cached + 2)
        }

        @Test func demoRunWritesOneFilePerFrameAndPlaysKeys() throws {
            let dir = try temporaryDirectory()
            let keys = try KeySequence.parse("1:o,2:right*3")
            try ViewerDemo.run(configuration: ViewerConfiguration(output: .headless, width: 640, height: 400),
                               keys: keys, maxFrames: 3, outDirectory: dir)
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            #expect(files == ["frame-0000.png", "frame-0001.png", "frame-0002.png"])
        }
    }
}
