import CSDL2

/// How the viewer draws: a real (resizable) window, or an offscreen surface with no display at all.
public enum ViewerOutput: Sendable, Equatable {
    case window
    /// Software rendering into memory; SDL's offscreen video driver is used so no display is needed.
    case headless
}

/// Owns SDL's video subsystem, the window (if any), the drawing surface (headless) and the renderer.
final class RenderTarget {
    let output: ViewerOutput
    private(set) var window: OpaquePointer?
    private(set) var surface: UnsafeMutablePointer<SDL_Surface>?
    private(set) var renderer: OpaquePointer

    init(output: ViewerOutput, title: String, width: Int, height: Int) throws(ViewerError) {
        self.output = output
        if output == .headless {
            // Must be set before SDL_Init; overrides SDL_VIDEODRIVER from the environment (e.g. x11 under
            // Xvfb) because headless never needs a display. Events (SDL_PushEvent) still work with this driver.
            SDL_SetHintWithPriority(SDL_HINT_VIDEODRIVER, "offscreen", SDL_HINT_OVERRIDE)
        } else {
            // Hints outlive SDL_Quit: undo an earlier headless viewer's override in this process.
            SDL_ResetHint(SDL_HINT_VIDEODRIVER)
        }
        // Nearest-neighbour scaling keeps activation pixels crisp when tiles are enlarged.
        SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "0")
        // The software renderer presents through the window surface. Unless told otherwise, SDL on Linux first
        // opens a throwaway OpenGL context to decide whether to present with GL; on Mesa that loads llvmpipe
        // (libLLVM, ~60 MB resident for the life of the process) only to choose X11 shared memory after all.
        // Shared memory presents our frames at least as fast. SDL_FRAMEBUFFER_ACCELERATION in the environment
        // still wins, as a normal-priority hint does not override it.
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0")
        guard SDL_InitSubSystem(UInt32(SDL_INIT_VIDEO)) == 0 else { throw .noDisplay(ViewerError.sdlMessage()) }
        do {
            switch output {
            case .headless:
                (surface, renderer) = try Self.makeSurfaceRenderer(width: width, height: height)
            case .window:
                let flags = SDL_WINDOW_SHOWN.rawValue | SDL_WINDOW_RESIZABLE.rawValue
                let position = Int32(bitPattern: SDL_WINDOWPOS_CENTERED_MASK)
                guard let w = SDL_CreateWindow(title, position, position, Int32(width), Int32(height), flags) else {
                    throw ViewerError.noDisplay(ViewerError.sdlMessage())
                }
                window = w
                // The software renderer: there is no GPU, and it is what the headless path uses too.
                guard let r = SDL_CreateRenderer(w, -1, SDL_RENDERER_SOFTWARE.rawValue) else {
                    throw ViewerError.sdl(ViewerError.sdlMessage())
                }
                renderer = r
            }
        } catch let error as ViewerError {
            if let window { SDL_DestroyWindow(window) }
            SDL_QuitSubSystem(UInt32(SDL_INIT_VIDEO))
            throw error
        } catch { preconditionFailure("unexpected error \(error)") }
    }

    private static func makeSurfaceRenderer(width: Int, height: Int) throws(ViewerError)
        -> (UnsafeMutablePointer<SDL_Surface>, OpaquePointer) {
        guard let s = SDL_CreateRGBSurfaceWithFormat(0, Int32(width), Int32(height), 32, SDL_PIXELFORMAT_ARGB8888.rawValue) else {
            throw .sdl(ViewerError.sdlMessage())
        }
        guard let r = SDL_CreateSoftwareRenderer(s) else {
            SDL_FreeSurface(s)
            throw .sdl(ViewerError.sdlMessage())
        }
        return (s, r)
    }

    /// Pixel size of what is drawn.
    var size: (width: Int, height: Int) {
        var w: Int32 = 0, h: Int32 = 0
        SDL_GetRendererOutputSize(renderer, &w, &h)
        return (Int(w), Int(h))
    }

    /// Resizes the drawing area. Headless, this replaces the renderer, so returns true: all textures are invalid.
    func resize(width: Int, height: Int) throws(ViewerError) -> Bool {
        switch output {
        case .window:
            if let window { SDL_SetWindowSize(window, Int32(width), Int32(height)) }
            return false
        case .headless:
            let (s, r) = try Self.makeSurfaceRenderer(width: width, height: height)
            SDL_DestroyRenderer(renderer)
            if let surface { SDL_FreeSurface(surface) }
            surface = s
            renderer = r
            return true
        }
    }

    deinit {
        SDL_DestroyRenderer(renderer)
        if let surface { SDL_FreeSurface(surface) }
        if let window { SDL_DestroyWindow(window) }
        SDL_QuitSubSystem(UInt32(SDL_INIT_VIDEO))
    }
}
