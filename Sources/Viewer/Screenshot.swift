import CSDL2
import Glibc
import Imaging

extension ViewerWindow {
    /// What is currently drawn (as of the last `draw`), read back from the renderer.
    public func screenshotImage() -> RGBImage {
        let (w, h) = size
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        _ = pixels.withUnsafeMutableBytes {
            SDL_RenderReadPixels(target.renderer, nil, SDL_PIXELFORMAT_RGB24.rawValue, $0.baseAddress, Int32(w * 3))
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// Saves what is drawn as a PNG file at `path` (written to a temporary file and renamed, so readers never see half a file).
    public func saveScreenshot(to path: String) throws(ViewerError) {
        do {
            try screenshotImage().writePNG(to: path, atomically: true)
        } catch {
            throw .screenshotFailed(path: path, reason: "\(error)")
        }
    }

    /// Handles the `s` key: saves into the configured folder and shows where in the status bar.
    func saveRequestedScreenshot() {
        screenshotCount += 1
        let path = configuration.screenshotDirectory + "/deepvis-\(time(nil))-\(screenshotCount).png"
        do {
            try saveScreenshot(to: path)
            lastScreenshotPath = path
            notice = ("saved \(path)", DisplayClock.now() + 4_000_000_000)
        } catch {
            notice = (error.description, DisplayClock.now() + 6_000_000_000)
        }
    }
}
