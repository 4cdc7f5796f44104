import CSDL2
import ViewerCore

extension ViewerWindow {
    /// Draws `frame` (nil: keep the last one; a paused viewer passes nil) and presents it.
    public func draw(_ frame: DisplayFrame?) {
        if let frame, !state.paused { lastFrame = frame }
        let shown = lastFrame
        let layout = layout(for: shown)
        canvas.clear(Theme.background)
        drawInputPane(shown, layout)
        drawLayerList(shown, layout)
        drawLayerPane(shown, layout)
        drawUnitPane(shown, layout)
        drawStatusBar(shown, layout)
        if state.showHelp { drawHelp(layout) }
        SDL_RenderPresent(target.renderer)
        needsRedraw = false
        canvas.text.endFrame()
        clock.presented(captureTime: shown?.captureUptimeNanoseconds)
        if screenshotRequested {
            screenshotRequested = false
            saveRequestedScreenshot()
        }
    }

    /// The activation atlas of the current layer, rebuilt only when the frame, layer or normalization changes.
    func currentMosaic(_ frame: DisplayFrame?) -> ActivationMosaic? {
        guard let frame, frame.layers.indices.contains(state.layerIndex),
              let activations = frame.activations(ofLayer: state.layerIndex) else { return nil }
        let key = [frame.sequence, state.layerIndex, state.perChannelNormalization ? 1 : 0, activations.values.count]
        if key != mosaicKey || mosaic == nil {
            let layer = frame.layers[state.layerIndex]
            guard activations.values.count == layer.channels * layer.height * layer.width else { return nil }
            let built = ActivationMosaic(layer: layer, values: activations.values,
                                         perChannel: state.perChannelNormalization, range: activations.layerRange)
            textures.mosaic.upload(gray: built.gray, width: built.atlasWidth, height: built.atlasHeight)
            mosaic = built
            mosaicKey = key
        }
        return mosaic
    }

    /// A title row: bold `title`, then `detail` dimmed.
    func drawTitle(_ title: String, detail: String = "", in rect: Rect) {
        let w = canvas.label(title, in: rect, face: .sansBold)
        guard !detail.isEmpty else { return }
        canvas.label(detail, in: Rect(x: rect.x + w + 8, y: rect.y, width: rect.width - w - 8, height: rect.height),
                     colour: Theme.dimText)
    }

    /// A centred dim note inside an empty area, e.g. "no backward image yet"; long notes (errors) wrap onto several lines.
    func drawPlaceholder(_ message: String, in rect: Rect, colour: Colour = Theme.dimText) {
        guard !rect.isEmpty else { return }
        canvas.fill(rect, Theme.panel)
        let lh = canvas.text.lineHeight
        let lines = TextFit.wrap(message, maxWidth: rect.width - 8, maxLines: max(rect.height / lh, 1)) { canvas.text.width(of: $0) }
        var y = rect.y + (rect.height - lines.count * lh) / 2
        for line in lines {
            let w = canvas.text.width(of: line)
            let x = rect.x + max((rect.width - w) / 2, 4)
            canvas.label(line, in: Rect(x: x, y: y, width: rect.maxX - x - 2, height: lh), colour: colour)
            y += lh
        }
    }
}
