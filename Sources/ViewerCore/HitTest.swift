/// What lies under the mouse.
public enum HitTarget: Sendable, Equatable {
    /// A tile of the layer pane: the channel index.
    case tile(Int)
    /// A row of the layer list: the layer index.
    case layer(Int)
    /// The history slider, at `fraction` (0 = oldest … 1 = newest) of its width.
    case slider(fraction: Double)
    /// The gradient-ascent preset's name (a click cycles the presets).
    case presetName
}

extension ViewerLayout {
    /// The interactive element under pixel (`x`, `y`), if any.
    public func hitTest(x: Int, y: Int) -> HitTarget? {
        if let tile = grid.index(atX: x, y: y) { return .tile(tile) }
        if let row = layerList.first(where: { $0.rect.contains(x, y) }) { return .layer(row.layer) }
        if slider.contains(x, y) { return .slider(fraction: sliderFraction(atX: x)) }
        if presetLabel.contains(x, y) { return .presetName }
        return nil
    }

    /// Position of `x` along the slider, clamped to 0…1 (used while dragging outside the slider too).
    public func sliderFraction(atX x: Int) -> Double {
        guard slider.width > 1 else { return 0 }
        return min(max(Double(x - slider.x) / Double(slider.width - 1), 0), 1)
    }

    /// The history entry a slider `fraction` selects among `count` entries.
    public static func historyIndex(fraction: Double, count: Int) -> Int? {
        guard count > 0 else { return nil }
        return min(max(Int((fraction * Double(count - 1)).rounded()), 0), count - 1)
    }

    /// The x coordinate of the slider knob for entry `index` of `count`.
    public func sliderKnobX(index: Int, count: Int) -> Int {
        guard count > 1 else { return slider.maxX - 1 }
        return slider.x + Int((Double(index) / Double(count - 1) * Double(slider.width - 1)).rounded())
    }
}
