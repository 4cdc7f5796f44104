import CSDL2

/// Synthetic input through SDL's own event queue, so tests and scripted runs exercise the real event path.
extension ViewerWindow {
    /// Queues a left click (press and release) at (`x`, `y`); it takes effect at the next `handleEvents`.
    public func injectClick(x: Int, y: Int) {
        for type in [SDL_MOUSEBUTTONDOWN, SDL_MOUSEBUTTONUP] {
            var event = SDL_Event()
            event.type = type.rawValue
            event.button.button = UInt8(SDL_BUTTON_LEFT)
            event.button.state = UInt8(type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED)
            event.button.clicks = 1
            event.button.x = Int32(x)
            event.button.y = Int32(y)
            SDL_PushEvent(&event)
        }
    }

    /// Queues a mouse move to (`x`, `y`), e.g. to show the hover tooltip or drag the slider.
    public func injectMouseMove(x: Int, y: Int) {
        var event = SDL_Event()
        event.type = SDL_MOUSEMOTION.rawValue
        event.motion.x = Int32(x)
        event.motion.y = Int32(y)
        SDL_PushEvent(&event)
    }

    /// Queues a key press of key name `name` (as in `KeyTable`); returns false for a name SDL has no key for.
    @discardableResult
    public func injectKey(_ name: String) -> Bool {
        guard let code = KeyNames.code(for: name) else { return false }
        var event = SDL_Event()
        event.type = SDL_KEYDOWN.rawValue
        event.key.state = UInt8(SDL_PRESSED)
        event.key.keysym.sym = code
        SDL_PushEvent(&event)
        return true
    }

    /// Drops any queued events (tests start from a clean queue; SDL's queue is global).
    public func discardPendingEvents() {
        SDL_PumpEvents()
        SDL_FlushEvents(SDL_FIRSTEVENT.rawValue, SDL_LASTEVENT.rawValue)
    }
}
