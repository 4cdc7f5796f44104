import Imaging
import NeuralNetwork

/// What `ViewerState.apply` needs to know about the world: the layers and the current grid shape.
public struct ViewerContext: Sendable, Equatable {
    public var layers: [LayerInfo]
    /// Columns of the layer pane's tile grid, so up/down move by one row.
    public var columns: Int
    /// Number of entries in the selected unit's optimization history.
    public var historyCount: Int
    /// Number of gradient-ascent presets the front-end offers (`ViewerState.presetIndex` cycles through them).
    public var presetCount: Int

    /// A context for `apply`.
    public init(layers: [LayerInfo], columns: Int, historyCount: Int = 0, presetCount: Int = 0) {
        self.layers = layers
        self.columns = columns
        self.historyCount = historyCount
        self.presetCount = presetCount
    }
}

/// The user's view choices, independent of SDL; `apply` is pure so every key can be tested without a window.
public struct ViewerState: Sendable, Equatable {
    public var layerIndex: Int
    /// Channel of the current layer whose unit pane is shown.
    public var selectedUnit: Int
    public var backwardMode: BackwardMode = .gradient
    /// How the backward image is turned into pixels (the toolbox's "n" key): raw → gray → norm → normblur.
    public var rendering: GradientRendering = .raw
    /// False: one brightness scale for the whole layer (compare channels); true: each channel stretched.
    public var perChannelNormalization = false
    /// Freeze the input frame; the network keeps working on it (probe, optimizer).
    public var frozen = false
    /// Pause everything: the window keeps showing the last frame.
    public var paused = false
    public var showHelp = false
    /// History entry shown by the slider; nil follows the live optimization image.
    public var historyPosition: Int?
    /// Index of the gradient-ascent preset in the front-end's preset list.
    public var presetIndex = 0
    /// Seed of the gradient ascent; `restartAscent` moves to the next one.
    public var ascentSeed: UInt64 = 0
    /// False: the probe and the ascent maximize the channel's centre unit (the paper's choice); true: its mean.
    public var channelMean = false
    /// True: the top-patches grid shows the patches' guided-backprop images instead of the patches.
    public var patchesShowBackward = false
    public var quitRequested = false

    /// Starts on `layerIndex`, unit `selectedUnit`.
    public init(layerIndex: Int = 0, selectedUnit: Int = 0) {
        self.layerIndex = layerIndex
        self.selectedUnit = selectedUnit
    }

    /// Applies `command`; screenshot and source switching have no state and are left to the caller.
    public mutating func apply(_ command: ViewerCommand, in context: ViewerContext) {
        switch command {
        case .selectUnit(let unit): select(unit, in: context)
        case .moveSelection(let direction): move(direction, in: context)
        case .nextLayer: switchLayer(to: layerIndex + 1, in: context)
        case .previousLayer: switchLayer(to: layerIndex - 1, in: context)
        case .selectLayer(let index): switchLayer(to: index, in: context)
        case .cycleBackwardMode: backwardMode = backwardMode.cycled()
        case .cycleRendering: rendering = rendering.cycled()
        case .togglePerChannelNormalization: perChannelNormalization.toggle()
        case .toggleFreeze: frozen.toggle()
        case .togglePause: paused.toggle()
        case .toggleHelp: showHelp.toggle()
        case .setHistoryPosition(let position): setHistory(position, count: context.historyCount)
        case .stepHistory(let delta): stepHistory(delta, count: context.historyCount)
        case .cyclePreset:
            presetIndex = context.presetCount > 0 ? (presetIndex + 1) % context.presetCount : 0
            historyPosition = nil
        case .restartAscent:
            ascentSeed &+= 1
            historyPosition = nil
        case .toggleUnitObjective:
            channelMean.toggle()
            historyPosition = nil
        case .togglePatchView: patchesShowBackward.toggle()
        case .quit: quitRequested = true
        case .cycleSource, .screenshot: break
        }
    }

    /// Returns a copy with `command` applied.
    public func applying(_ command: ViewerCommand, in context: ViewerContext) -> ViewerState {
        var copy = self
        copy.apply(command, in: context)
        return copy
    }

    private func channelCount(_ context: ViewerContext) -> Int {
        context.layers.indices.contains(layerIndex) ? context.layers[layerIndex].channels : 0
    }

    private mutating func select(_ unit: Int, in context: ViewerContext) {
        let n = channelCount(context)
        guard n > 0 else { return }
        let clamped = min(max(unit, 0), n - 1)
        if clamped != selectedUnit { historyPosition = nil }
        selectedUnit = clamped
    }

    private mutating func move(_ direction: GridDirection, in context: ViewerContext) {
        let n = channelCount(context)
        let columns = max(context.columns, 1)
        var target = selectedUnit
        switch direction {
        case .left: target -= 1
        case .right: target += 1
        // Up/down stay put at the grid's edge instead of jumping to an unrelated column.
        case .up: if selectedUnit - columns >= 0 { target -= columns }
        case .down: if selectedUnit + columns < n { target += columns }
        }
        select(target, in: context)
    }

    private mutating func switchLayer(to index: Int, in context: ViewerContext) {
        let count = context.layers.count
        guard count > 0 else { return }
        // Wrap around like the toolbox, so u/o alone reach every layer.
        let wrapped = ((index % count) + count) % count
        guard wrapped != layerIndex else { return }
        layerIndex = wrapped
        historyPosition = nil
        selectedUnit = min(selectedUnit, max(context.layers[wrapped].channels - 1, 0))
    }

    private mutating func setHistory(_ position: Int?, count: Int) {
        guard let position, count > 0 else { historyPosition = nil; return }
        historyPosition = min(max(position, 0), count - 1)
    }

    private mutating func stepHistory(_ delta: Int, count: Int) {
        guard count > 0 else { historyPosition = nil; return }
        let current = historyPosition ?? count
        let next = current + delta
        historyPosition = next >= count ? nil : max(next, 0)
    }
}
