/// One key binding: an SDL-independent key name, the command it issues, and its help text.
public struct KeyBinding: Sendable, Equatable {
    /// Lower-case name: a printable character ("o", "[") or a named key ("space", "escape", "left").
    public var key: String
    public var command: ViewerCommand
    public var help: String

    /// Binds `key` to `command`.
    public init(_ key: String, _ command: ViewerCommand, _ help: String) {
        self.key = key
        self.command = command
        self.help = help
    }
}

/// Maps key names to commands; replaces a long hand-written key handler with data (STYLE 13).
public struct KeyTable: Sendable {
    public let bindings: [KeyBinding]

    /// A table from explicit bindings; a key bound twice keeps its first binding.
    public init(bindings: [KeyBinding]) {
        self.bindings = bindings
    }

    /// The keymap of the deep visualization toolbox where it makes sense (DESIGN §5).
    public static let standard = KeyTable(bindings: [
        KeyBinding("left", .moveSelection(.left), "move selection left"),
        KeyBinding("j", .moveSelection(.left), "move selection left"),
        KeyBinding("right", .moveSelection(.right), "move selection right"),
        KeyBinding("l", .moveSelection(.right), "move selection right"),
        KeyBinding("up", .moveSelection(.up), "move selection up"),
        KeyBinding("i", .moveSelection(.up), "move selection up"),
        KeyBinding("down", .moveSelection(.down), "move selection down"),
        KeyBinding("k", .moveSelection(.down), "move selection down"),
        KeyBinding("u", .previousLayer, "previous layer"),
        KeyBinding("o", .nextLayer, "next layer"),
        KeyBinding("b", .cycleBackwardMode, "backward mode: gradient / deconvnet / guided"),
        KeyBinding("n", .cycleRendering, "backward rendering: raw / gray / norm / normblur"),
        KeyBinding("e", .togglePerChannelNormalization, "normalize per layer / per channel"),
        KeyBinding("f", .toggleFreeze, "freeze the input frame"),
        KeyBinding("c", .cycleSource, "switch to the next source"),
        KeyBinding("space", .togglePause, "pause / resume"),
        KeyBinding("p", .togglePause, "pause / resume"),
        KeyBinding("[", .stepHistory(-1), "optimization history: step back"),
        KeyBinding("]", .stepHistory(1), "optimization history: step forward (past the end: live)"),
        KeyBinding("a", .cyclePreset, "gradient ascent: next preset (or click the preset name)"),
        KeyBinding("r", .restartAscent, "gradient ascent: restart with a new seed"),
        KeyBinding("m", .toggleUnitObjective, "optimize the centre unit / the channel mean"),
        KeyBinding("v", .togglePatchView, "top patches / their guided-backprop images"),
        KeyBinding("s", .screenshot, "save a screenshot"),
        KeyBinding("h", .toggleHelp, "show / hide this help"),
        KeyBinding("q", .quit, "quit"),
        KeyBinding("escape", .quit, "quit"),
    ])

    /// The command bound to `key` (case-insensitive), if any.
    public func command(forKey key: String) -> ViewerCommand? {
        let name = key.lowercased()
        return bindings.first { $0.key == name }?.command
    }

    /// Every key name the table knows.
    public var keyNames: Set<String> { Set(bindings.map(\.key)) }

    /// Help lines, one per distinct help text, keys joined ("left / j   move selection left").
    public var helpLines: [(keys: String, help: String)] {
        var order: [String] = []
        var keys: [String: [String]] = [:]
        for binding in bindings {
            if keys[binding.help] == nil { order.append(binding.help) }
            keys[binding.help, default: []].append(binding.key)
        }
        return order.map { (keys[$0]!.joined(separator: " / "), $0) }
    }
}
