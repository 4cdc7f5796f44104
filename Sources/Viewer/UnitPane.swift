import Imaging
import ViewerCore

extension ViewerWindow {
    /// The selected unit: zoomed map, backward image, gradient-ascent image with history slider, top patches.
    func drawUnitPane(_ frame: DisplayFrame?, _ layout: ViewerLayout) {
        let layerName = frame.flatMap { $0.layers.indices.contains(state.layerIndex) ? $0.layers[state.layerIndex].name : nil }
        let mosaic = currentMosaic(frame)
        let maxText = mosaic.flatMap { state.selectedUnit < $0.channels ? " · max " + NumberText.short(Double($0.channelMax[state.selectedUnit])) : nil }
        drawTitle("Unit #\(state.selectedUnit)", detail: (layerName ?? "") + (maxText ?? ""), in: layout.unitTitle)
        canvas.label("activation", in: layout.zoomCaption, colour: Theme.dimText)
        if let mosaic, state.selectedUnit < mosaic.channels {
            canvas.fill(layout.zoom, Theme.panel)
            let fitted = layout.zoom.fitting(aspectWidth: mosaic.mapWidth, height: mosaic.mapHeight)
            canvas.copy(textures.mosaic.texture, source: mosaic.atlasRect(of: state.selectedUnit), to: fitted)
        } else {
            drawPlaceholder("—", in: layout.zoom)
        }
        let detail = unitDetail(of: frame)
        drawBackward(detail?.backward, error: detail?.backwardError, sequence: frame?.sequence ?? 0, layout)
        drawOptimization(detail?.optimization, sequence: frame?.sequence ?? 0, layout)
        drawPatches(detail?.topPatches ?? [], sequence: frame?.sequence ?? 0, layout)
    }

    private func drawBackward(_ backward: BackwardImage?, error: String?, sequence: Int, _ layout: ViewerLayout) {
        canvas.label("\(state.backwardMode.rawValue) · \(state.rendering.rawValue)", in: layout.backwardCaption,
                     colour: Theme.dimText)
        if let error { return drawPlaceholder(error, in: layout.backward) }
        // A result computed with the previous mode is still shown (better than nothing) while the new one computes.
        guard let backward else { return drawPlaceholder("computing…", in: layout.backward) }
        // Frames share one result's value buffer until the probe publishes a new one, so this comparison is
        // usually an identity check; the texture is reset whenever the window rebuilds its textures.
        if textures.backward.contentKey != [1] || renderedBackward?.image != backward
            || renderedBackward?.rendering != state.rendering {
            textures.backward.upload(state.rendering.render(backward.values, width: backward.width, height: backward.height))
            textures.backward.contentKey = [1]
            renderedBackward = (backward, state.rendering)
        }
        canvas.fill(layout.backward, Theme.panel)
        canvas.copy(textures.backward.texture, source: nil,
                    to: layout.backward.fitting(aspectWidth: backward.width, height: backward.height))
    }

    private func drawOptimization(_ progress: OptimizationProgress?, sequence: Int, _ layout: ViewerLayout) {
        let history = progress?.history ?? []
        let position = state.historyPosition.flatMap { history.indices.contains($0) ? $0 : nil }
        let image: RGBImage? = position.map { history[$0].image } ?? progress?.current ?? history.last?.image
        var caption = "gradient ascent"
        if let position {
            caption += " · step \(history[position].step) · obj " + NumberText.short(Double(history[position].objective))
        } else if let progress, progress.iterations > 0 {
            caption += " · step \(progress.step)/\(progress.iterations)"
            if let objective = progress.objective { caption += " · obj " + NumberText.short(Double(objective)) }
            if let eta = progress.secondsRemaining { caption += " · ETA \(Int(eta.rounded(.up))) s" }
        } else if let last = history.last {
            caption += " · step \(last.step) · obj " + NumberText.short(Double(last.objective))
        }
        if let progress, !progress.preset.isEmpty { caption += " · " + progress.preset }
        var captionRect = layout.optimizationCaption
        if progress?.running == true {
            let w = canvas.label("running", in: captionRect, colour: Theme.accent, alignRight: true)
            captionRect.width -= w + 8
        }
        canvas.label(caption, in: captionRect, colour: Theme.dimText)
        if let image {
            let key = [sequence, position ?? -1]
            if textures.optimization.contentKey != key {
                textures.optimization.upload(image)
                textures.optimization.contentKey = key
            }
            canvas.fill(layout.optimization, Theme.panel)
            canvas.copy(textures.optimization.texture, source: nil,
                        to: layout.optimization.fitting(aspectWidth: image.width, height: image.height))
        } else {
            drawPlaceholder(progress?.error ?? (progress?.running == true ? "starting…" : "not started"), in: layout.optimization)
        }
        drawSlider(count: history.count, position: position, layout)
    }

    /// The history slider: a track, one tick per recorded step, the knob at the shown entry (right end: live).
    private func drawSlider(count: Int, position: Int?, _ layout: ViewerLayout) {
        let s = layout.slider
        guard !s.isEmpty else { return }
        let midY = s.y + s.height / 2
        canvas.fill(Rect(x: s.x, y: midY - 1, width: s.width, height: 3), Theme.tileBackground)
        guard count > 0 else { return }
        if count <= s.width / 3 {
            for i in 0..<count { canvas.line(layout.sliderKnobX(index: i, count: count), midY - 3, layout.sliderKnobX(index: i, count: count), midY + 3, Theme.dimText) }
        }
        let knobX = layout.sliderKnobX(index: position ?? count - 1, count: count)
        canvas.fill(Rect(x: knobX - 3, y: s.y + 1, width: 7, height: s.height - 2), position == nil ? Theme.highlight : Theme.accent)
    }

    private func drawPatches(_ patches: [RGBImage], sequence: Int, _ layout: ViewerLayout) {
        guard !layout.patches.isEmpty else { return }
        canvas.label("top patches this session", in: layout.patchesCaption, colour: Theme.dimText)
        let shown = Array(patches.prefix(layout.patches.count))
        guard let cell = shown.map({ max($0.width, $0.height) }).max(), cell > 0 else {
            for rect in layout.patches { canvas.fill(rect, Theme.panel) }
            return
        }
        // Compose the patches into one 3×3 atlas so the pane needs a single texture upload.
        let key = [sequence, shown.count, cell]
        if textures.patches.contentKey != key {
            textures.patches.upload(Self.patchAtlas(shown, cell: cell))
            textures.patches.contentKey = key
        }
        for (i, rect) in layout.patches.enumerated() {
            canvas.fill(rect, Theme.panel)
            guard i < shown.count else { continue }
            let source = Rect(x: (i % 3) * cell, y: (i / 3) * cell, width: shown[i].width, height: shown[i].height)
            canvas.copy(textures.patches.texture, source: source,
                        to: rect.fitting(aspectWidth: shown[i].width, height: shown[i].height))
        }
    }

    static func patchAtlas(_ patches: [RGBImage], cell: Int) -> RGBImage {
        var atlas = RGBImage(width: 3 * cell, height: 3 * cell)
        for (i, patch) in patches.prefix(9).enumerated() {
            let ox = (i % 3) * cell, oy = (i / 3) * cell
            for y in 0..<patch.height {
                let src = y * patch.width * 3, dst = ((oy + y) * atlas.width + ox) * 3
                atlas.pixels.replaceSubrange(dst..<(dst + patch.width * 3), with: patch.pixels[src..<(src + patch.width * 3)])
            }
        }
        return atlas
    }
}
