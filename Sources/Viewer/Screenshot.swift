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

    /// Saves what is drawn as a BMP file at `path`.
    public func saveScreenshot(to path: String) throws(ViewerError) {
        var image = screenshotImage()
        let (w, h) = (Int32(image.width), Int32(image.height))
        // The surface only borrows the bytes, so it is created, saved and freed inside this closure.
        let status: Int32? = image.pixels.withUnsafeMutableBytes { bytes in
            guard let surface = SDL_CreateRGBSurfaceWithFormatFrom(bytes.baseAddress, w, h, 24, w * 3,
                                                                    SDL_PIXELFORMAT_RGB24.rawValue) else { return nil }
            defer { SDL_FreeSurface(surface) }
            // SDL_SaveBMP is a macro Swift cannot import; this is its expansion.
            return SDL_SaveBMP_RW(surface, SDL_RWFromFile(path, "wb"), 1)
        }
        guard status == 0 else { throw .screenshotFailed(path: path, reason: ViewerError.sdlMessage()) }
    }

    /// Handles the `s` key: saves into the configured folder and shows where in the status bar.
    func saveRequestedScreenshot() {
        screenshotCount += 1
        let path = configuration.screenshotDirectory + "/deepvis-\(time(nil))-\(screenshotCount).bmp"
        do {
            try saveScreenshot(to: path)
            lastScreenshotPath = path
            notice = ("saved \(path)", DisplayClock.now() + 4_000_000_000)
        } catch {
            notice = (error.description, DisplayClock.now() + 6_000_000_000)
        }
    }
}
