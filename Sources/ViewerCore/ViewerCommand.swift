import Imaging

/// A direction for moving the selection through the tile grid.
public enum GridDirection: Sendable, Equatable {
    case left, right, up, down
}

/// Everything a user can ask the viewer to do; keys, clicks and `--keys` sequences all become these.
public enum ViewerCommand: Sendable, Equatable {
    case selectUnit(Int)
    case moveSelection(GridDirection)
    case nextLayer
    case previousLayer
    case selectLayer(Int)
    case cycleBackwardMode
    case cycleRendering
    case togglePerChannelNormalization
    case toggleFreeze
    case cycleSource
    case togglePause
    case screenshot
    case toggleHelp
    /// Show history entry `n` of the optimization; nil follows the live image.
    case setHistoryPosition(Int?)
    /// Step the history slider by `delta` entries (reaching the end returns to live).
    case stepHistory(Int)
    /// Optimize with the next gradient-ascent preset.
    case cyclePreset
    /// Restart the selected unit's gradient ascent from a new seed.
    case restartAscent
    /// Switch what the probe and the ascent maximize: the centre unit or the channel's mean.
    case toggleUnitObjective
    /// Show the top patches themselves or their guided-backprop images.
    case togglePatchView
    case quit
}

extension CaseIterable where Self: Equatable, AllCases.Index == Int {
    /// The case after this one, wrapping around.
    func cycled() -> Self {
        let all = Self.allCases
        let i = all.firstIndex(of: self)!
        return all[(i + 1) % all.count]
    }
}
