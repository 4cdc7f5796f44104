import ViewerCore

extension ViewerWindow {
    /// Every channel of the current layer as a gray tile, the selected one outlined, a tooltip under the mouse.
    func drawLayerPane(_ frame: DisplayFrame?, _ layout: ViewerLayout) {
        guard let frame, frame.layers.indices.contains(state.layerIndex) else {
            drawTitle("Layer", in: layout.layerTitle)
            drawPlaceholder("no layers yet", in: layout.layerPane)
            return
        }
        let layer = frame.layers[state.layerIndex]
        let normalization = state.perChannelNormalization ? "per channel" : "per layer"
        drawTitle(layer.name, detail: "\(layer.channels) channels × \(layer.height)×\(layer.width) · normalized \(normalization) (e)",
                  in: layout.layerTitle)
        guard let mosaic = currentMosaic(frame) else {
            drawPlaceholder("waiting for activations of \(layer.name)…", in: layout.layerPane)
            return
        }
        let grid = layout.grid
        for channel in 0..<grid.count {
            canvas.copy(textures.mosaic.texture, source: mosaic.atlasRect(of: channel), to: grid.rect(of: channel))
        }
        if state.selectedUnit < grid.count {
            canvas.outline(grid.rect(of: state.selectedUnit), Theme.accent, thickness: 2)
        }
        drawTooltip(mosaic, layout)
    }

    /// "#index  max value" beside the mouse when it is over a tile.
    private func drawTooltip(_ mosaic: ActivationMosaic, _ layout: ViewerLayout) {
        guard !state.showHelp, let hover, let channel = layout.grid.index(atX: hover.x, y: hover.y), channel < mosaic.channels else { return }
        canvas.outline(layout.grid.rect(of: channel), Theme.text, thickness: 1)
        let text = "#\(channel)  max \(NumberText.short(Double(mosaic.channelMax[channel])))"
        let w = canvas.text.width(of: text, face: .mono) + 12, h = canvas.text.lineHeight + 6
        // Keep the tooltip inside the window: flip to the left/top near the right/bottom edge.
        var x = hover.x + 14, y = hover.y + 16
        if x + w > layout.width { x = hover.x - w - 6 }
        if y + h > layout.status.y { y = hover.y - h - 6 }
        let box = Rect(x: x, y: y, width: w, height: h)
        canvas.fill(box, Theme.overlay)
        canvas.outline(box, Theme.dimText)
        canvas.label(text, in: box.inset(by: 3).offsetX(3), face: .mono)
    }
}

extension Rect {
    /// This rectangle moved right by `dx`.
    func offsetX(_ dx: Int) -> Rect { Rect(x: x + dx, y: y, width: width, height: height) }
}
