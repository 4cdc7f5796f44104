import CSDL2
import ViewerCore

extension ViewerWindow {
    /// Runs the window until the user quits (or `maxFrames` frames are drawn).
    ///
    /// Each iteration: apply scheduled `--keys` presses for this frame, drain SDL events, tell the pipeline
    /// about every applied command through `onCommand` (with the state after it), ask `frames` for the newest
    /// published frame — it must return at once, nil if nothing new — draw if anything changed, then
    /// `afterDraw(iteration)`; `maxFrames` and `--keys` frame numbers count iterations.
    /// The UI thread never waits on compute; it sleeps only to stay near `configuration.targetFPS`.
    public func run(keys: [ScheduledKey] = [], maxFrames: Int? = nil,
                    frames: () -> DisplayFrame?,
                    onCommand: (ViewerCommand, ViewerState) -> Void = { _, _ in },
                    afterDraw: (Int) -> Void = { _ in }) {
        let frameBudget = UInt64(1_000_000_000 / max(configuration.targetFPS, 1))
        var index = 0
        var lastDrawTime: UInt64 = 0
        while !state.quitRequested, maxFrames.map({ index < $0 }) ?? true {
            let start = DisplayClock.now()
            // Input is interpreted against the last drawn frame's layers; before the first one, fetch a frame
            // so that a --keys press at frame 0 already knows the layers.
            if lastFrame == nil, let first = frames() { lastFrame = first }
            for key in KeySequence.keys(at: index, in: keys) {
                if let command = press(key: key) { onCommand(command, state) }
            }
            for command in handleEvents() { onCommand(command, state) }
            if state.quitRequested { break }
            // While paused the pipeline may keep publishing; the window keeps the last frame instead.
            let frame = state.paused ? nil : frames()
            // Redrawing an unchanged picture costs CPU the forward pass needs; refresh twice a second for the clock.
            if frame != nil || needsRedraw || start - lastDrawTime >= 500_000_000 {
                draw(frame)
                lastDrawTime = start
            }
            afterDraw(index)
            index += 1
            let elapsed = DisplayClock.now() - start
            if elapsed < frameBudget, configuration.output == .window || configuration.pacesHeadless {
                SDL_Delay(UInt32((frameBudget - elapsed) / 1_000_000))
            }
        }
    }
}
