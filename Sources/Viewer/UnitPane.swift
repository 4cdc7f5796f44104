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
        drawPatches(detail, sequence: frame?.sequence ?? 0, layout)
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
        let target = progress?.target.isEmpty == false ? progress!.target : (state.channelMean ? "channel mean" : "centre unit")
        canvas.label("gradient ascent · " + target, in: layout.optimizationCaption, colour: Theme.dimText)
        let presetName = presetNames.indices.contains(state.presetIndex) ? presetNames[state.presetIndex] : progress?.preset ?? ""
        canvas.label(presetName, in: layout.presetLabel, colour: Theme.accent, alignRight: true)
        canvas.label(optimizationStatus(progress, history: history, position: position), in: layout.optimizationStatus,
                     colour: progress?.error != nil ? Theme.warning : Theme.dimText)
        if let image {
            let key = [sequence, position ?? -1]
            if textures.optimization.contentKey != key {
                textures.optimization.upload(image)
                textures.optimization.contentKey = key
            }
            canvas.fill(layout.optimization, Theme.panel)
            canvas.copy(textures.optimization.texture, source: nil,
                        to: layout.optimization.fitting(aspectWidth: image.width, height: image.height))
        } else if let error = progress?.error {
            drawPlaceholder(error, in: layout.optimization, colour: Theme.warning)
        } else {
            drawPlaceholder(progress?.running == true ? "starting…" : "not started", in: layout.optimization)
        }
        drawSlider(count: history.count, position: position, layout)
    }

    /// "step 84/300 · obj 12.3 · ETA 14 s", "done · store · obj 40.1", or the failure.
    private func optimizationStatus(_ progress: OptimizationProgress?, history: [OptimizationStep], position: Int?) -> String {
        if let position {
            return "history step \(history[position].step) · obj " + NumberText.short(Double(history[position].objective))
        }
        guard let progress else { return "" }
        if let error = progress.error { return "failed: " + error }
        var parts: [String] = []
        if progress.running {
            parts.append("step \(progress.step)/\(progress.iterations)")
        } else {
            parts.append(progress.source.isEmpty || progress.source == "computed" ? "done" : "done · from \(progress.source)")
        }
        if let objective = progress.objective { parts.append("obj " + NumberText.short(Double(objective))) }
        if let eta = progress.secondsRemaining { parts.append("ETA \(Int(eta.rounded(.up))) s") }
        return parts.joined(separator: " · ")
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

    private func drawPatches(_ detail: UnitDetail?, sequence: Int, _ layout: ViewerLayout) {
        guard !layout.patches.isEmpty else { return }
        let backward = state.patchesShowBackward
        let patches = (backward ? detail?.topPatchBackward : detail?.topPatches) ?? []
        let origin = detail?.topPatchSource ?? "this session"
        let caption = backward
            ? "\(detail?.topPatchBackwardNote.isEmpty == false ? detail!.topPatchBackwardNote : "backward images") · \(origin)"
            : "top patches · \(origin)"
        canvas.label(caption, in: layout.patchesCaption, colour: Theme.dimText)
        let shown = Array(patches.prefix(layout.patches.count))
        guard let cell = shown.map({ max($0.width, $0.height) }).max(), cell > 0 else {
            for rect in layout.patches { canvas.fill(rect, Theme.panel) }
            return
        }
        // Compose the patches into one 3×3 atlas so the pane needs a single texture upload.
        let key = [sequence, shown.count, cell, backward ? 1 : 0]
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
            if let activations = detail?.topPatchActivations, i < activations.count, rect.height >= 2 * canvas.text.lineHeight {
                let tag = Rect(x: rect.x, y: rect.maxY - canvas.text.lineHeight, width: rect.width, height: canvas.text.lineHeight)
                canvas.fill(Rect(x: tag.x, y: tag.y, width: canvas.text.width(of: NumberText.short(Double(activations[i]))) + 4,
                                 height: tag.height), Theme.overlay)
                canvas.label(NumberText.short(Double(activations[i])), in: Rect(x: tag.x + 2, y: tag.y, width: tag.width - 2,
                                                                                height: tag.height), colour: Theme.text)
            }
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
