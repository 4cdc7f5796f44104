import CSDL2
import ViewerCore

extension ViewerWindow {
    /// Drains SDL's event queue, applies what the events mean, and returns the commands applied in order.
    public func handleEvents() -> [ViewerCommand] {
        var commands: [ViewerCommand] = []
        var event = SDL_Event()
        while SDL_PollEvent(&event) != 0 {
            // Any event (motion, resize, expose) may change the picture.
            needsRedraw = true
            for command in translate(event) {
                apply(command)
                commands.append(command)
            }
        }
        return commands
    }

    private func translate(_ event: SDL_Event) -> [ViewerCommand] {
        switch SDL_EventType(event.type) {
        case SDL_QUIT: return [.quit]
        case SDL_KEYDOWN:
            guard let name = KeyNames.name(for: event.key.keysym.sym),
                  let command = configuration.keyTable.command(forKey: name) else { return [] }
            return [command]
        case SDL_MOUSEBUTTONDOWN where event.button.button == UInt8(SDL_BUTTON_LEFT):
            return mouseDown(x: Int(event.button.x), y: Int(event.button.y))
        case SDL_MOUSEBUTTONUP:
            draggingSlider = false
            return []
        case SDL_MOUSEMOTION:
            hover = (Int(event.motion.x), Int(event.motion.y))
            guard draggingSlider else { return [] }
            return sliderCommand(fraction: layout(for: lastFrame).sliderFraction(atX: Int(event.motion.x)))
        case SDL_WINDOWEVENT where event.window.event == UInt8(SDL_WINDOWEVENT_LEAVE.rawValue):
            hover = nil
            return []
        default:
            // Resizes need no handling here: every draw lays out for the renderer's current size.
            return []
        }
    }

    private func mouseDown(x: Int, y: Int) -> [ViewerCommand] {
        switch layout(for: lastFrame).hitTest(x: x, y: y) {
        case .tile(let index): return [.selectUnit(index)]
        case .layer(let index): return [.selectLayer(index)]
        case .presetName: return [.cyclePreset]
        case .slider(let fraction):
            draggingSlider = true
            return sliderCommand(fraction: fraction)
        case nil: return []
        }
    }

    private func sliderCommand(fraction: Double) -> [ViewerCommand] {
        let count = unitDetail(of: lastFrame)?.optimization?.history.count ?? 0
        guard let index = ViewerLayout.historyIndex(fraction: fraction, count: count) else { return [] }
        // The right end of the slider means "follow the live image".
        return [.setHistoryPosition(fraction >= 0.999 ? nil : index)]
    }
}
