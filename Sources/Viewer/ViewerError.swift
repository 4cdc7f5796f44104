import CSDL2

/// Why the viewer could not start or save, with what to do about it.
public enum ViewerError: Error, Equatable, CustomStringConvertible {
    /// SDL could not start a video driver (e.g. no display).
    case noDisplay(String)
    case sdl(String)
    case fontMissing(String)
    case screenshotFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .noDisplay(let reason):
            return "cannot open a window (\(reason)) — is DISPLAY set? try --headless to render into files"
        case .sdl(let reason): return "SDL: \(reason)"
        case .fontMissing(let path):
            return "font \(path) could not be opened — install fonts-dejavu-core or pass another font"
        case .screenshotFailed(let path, let reason): return "could not save screenshot \(path): \(reason)"
        }
    }

    /// The last SDL error message as a Swift string.
    static func sdlMessage() -> String { String(cString: SDL_GetError()) }
}
