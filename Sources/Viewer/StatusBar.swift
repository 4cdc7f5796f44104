import ViewerCore

extension ViewerWindow {
    /// Source and messages on the left; rates, latency and paused/frozen on the right.
    func drawStatusBar(_ frame: DisplayFrame?, _ layout: ViewerLayout) {
        let bar = layout.status
        canvas.fill(bar, Theme.panel)
        canvas.line(bar.x, bar.y, bar.maxX, bar.y, Theme.tileBackground)
        let inner = Rect(x: bar.x + 10, y: bar.y, width: bar.width - 20, height: bar.height)
        let messages = statusMessages(frame)
        let figures = statusFigures(frame)
        // A fault ("camera disconnected …") matters more than the rates: when both do not fit, the rates give way.
        var figuresWidth = 0
        if !faultNeedsRoom(messages, frame, besides: canvas.text.width(of: figures, face: .mono) + 16, in: inner.width) {
            figuresWidth = canvas.label(figures, in: inner, face: .mono, colour: Theme.dimText, alignRight: true)
        }
        var x = inner.x
        let leftWidth = inner.width - figuresWidth - 16
        for (text, colour) in messages where x < inner.x + leftWidth {
            x += canvas.label(text, in: Rect(x: x, y: inner.y, width: inner.x + leftWidth - x, height: inner.height),
                              face: colour == Theme.text ? .sans : .sansBold, colour: colour) + 14
        }
    }

    /// True when the frame has a status message that would not fit completely beside `used` pixels of figures.
    private func faultNeedsRoom(_ messages: [(String, Colour)], _ frame: DisplayFrame?, besides used: Int, in width: Int) -> Bool {
        guard let status = frame?.status, !status.isEmpty, let index = messages.firstIndex(where: { $0.0 == status }) else {
            return false
        }
        let upToFault = messages[...index].reduce(0) { total, message in
            total + canvas.text.width(of: message.0, face: message.1 == Theme.text ? .sans : .sansBold) + 14
        }
        return upToFault + used > width
    }

    private func statusMessages(_ frame: DisplayFrame?) -> [(String, Colour)] {
        var messages: [(String, Colour)] = []
        if state.paused { messages.append(("PAUSED", Theme.accent)) }
        if state.frozen { messages.append(("FROZEN", Theme.accent)) }
        messages.append((frame?.source.isEmpty == false ? frame!.source : "no source", Theme.text))
        if let status = frame?.status, !status.isEmpty { messages.append((status, Theme.warning)) }
        if let ready = frame?.unitsReady, !ready.isEmpty { messages.append((ready, Theme.dimText)) }
        if let notice, notice.until > DisplayClock.now() { messages.append((notice.text, Theme.accent)) }
        if !state.showHelp { messages.append(("h: help", Theme.dimText)) }
        return messages
    }

    private func statusFigures(_ frame: DisplayFrame?) -> String {
        let s = frame?.statistics ?? PipelineStatistics()
        let rate = { (value: Double) in NumberText.fixed(value, 1) }
        var parts = ["capture \(rate(s.captureFPS))", "forward \(rate(s.forwardFPS))", "probe \(rate(s.probeFPS))",
                     "display \(rate(clock.fps)) fps"]
        parts.append("dropped \(s.droppedFrames)")
        let latency = clock.latencyMilliseconds ?? s.latencyMilliseconds
        parts.append("latency \(NumberText.fixed(latency, 0)) ms")
        return parts.joined(separator: " · ")
    }
}
