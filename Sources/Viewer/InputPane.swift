import ViewerCore

extension ViewerWindow {
    /// The frame as the network sees it, with the top-5 labels and probability bars beneath.
    func drawInputPane(_ frame: DisplayFrame?, _ layout: ViewerLayout) {
        drawTitle("Input", detail: frame.map { "\($0.input.width)×\($0.input.height)" } ?? "", in: layout.inputTitle)
        guard let frame, frame.input.width > 0 else {
            drawPlaceholder("waiting for the first frame", in: layout.input)
            return
        }
        canvas.fill(layout.input, Theme.panel)
        if textures.input.contentKey != [frame.sequence] {
            textures.input.upload(frame.input)
            textures.input.contentKey = [frame.sequence]
        }
        let fitted = layout.input.fitting(aspectWidth: frame.input.width, height: frame.input.height)
        canvas.copy(textures.input.texture, source: nil, to: fitted)
        for (row, rect) in layout.labels.enumerated() {
            guard row < frame.labels.count else { break }
            let label = frame.labels[row]
            let p = min(max(label.probability, 0), 1)
            let bar = Rect(x: rect.x, y: rect.y + 2, width: Int(Float(rect.width) * p), height: rect.height - 4)
            canvas.fill(bar, Theme.highlight.withAlpha(row == 0 ? 150 : 90))
            let percent = NumberText.fixed(Double(p) * 100, 1) + "%"
            let numberWidth = canvas.text.width(of: "100.0%", face: .mono)
            canvas.label(percent, in: Rect(x: rect.x + 4, y: rect.y, width: numberWidth, height: rect.height),
                         face: .mono, colour: Theme.text, alignRight: true)
            let nameRect = Rect(x: rect.x + numberWidth + 12, y: rect.y, width: rect.width - numberWidth - 14, height: rect.height)
            canvas.label(label.label, in: nameRect, face: row == 0 ? .sansBold : .sans)
        }
    }

    /// The layers to switch between; the current one highlighted, with its shape.
    func drawLayerList(_ frame: DisplayFrame?, _ layout: ViewerLayout) {
        let count = frame?.layers.count ?? 0
        drawTitle("Layers", detail: count > 0 ? "\(count)  (u / o)" : "", in: layout.layerListTitle)
        guard let layers = frame?.layers else { return }
        for row in layout.layerList where layers.indices.contains(row.layer) {
            let layer = layers[row.layer]
            let current = row.layer == state.layerIndex
            if current { canvas.fill(row.rect, Theme.highlight) }
            let inner = Rect(x: row.rect.x + 6, y: row.rect.y, width: row.rect.width - 12, height: row.rect.height)
            let shape = "\(layer.channels)×\(layer.height)×\(layer.width)"
            let shapeWidth = canvas.label(shape, in: inner, face: .mono, colour: current ? Theme.text : Theme.dimText,
                                          alignRight: true)
            canvas.label(layer.name, in: Rect(x: inner.x, y: inner.y, width: inner.width - shapeWidth - 8, height: inner.height),
                         face: current ? .sansBold : .sans, colour: current ? Theme.text : Theme.dimText)
        }
    }
}

extension Colour {
    /// The same colour with alpha `a`.
    func withAlpha(_ a: UInt8) -> Colour { Colour(r, g, b, a) }
}
