import ArgumentParser
import Capture
import Foundation
import Imaging
import LivePipeline
import NeuralNetwork
import Visualization

/// A progress bar on a terminal (iteration, objective, ETA), plain lines every 10% otherwise.
final class ProgressReporter {
    let label: String
    let isTerminal = isatty(STDOUT_FILENO) != 0
    private let start = Date()
    private var lastPrinted = -1

    init(label: String) { self.label = label }

    func report(_ p: AscentProgress) {
        let done = p.step + 1
        let elapsed = Date().timeIntervalSince(start)
        let eta = elapsed / Double(done) * Double(p.iterations - done)
        if isTerminal {
            let width = 30, filled = width * done / max(p.iterations, 1)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = String(format: "\r%@ [%@] %d/%d  objective %.4g  best %.4g  ETA %.0fs ",
                              label, bar, done, p.iterations, Double(p.objective), Double(p.bestObjective), eta)
            FileHandle.standardOutput.write(Data(line.utf8))
            if done == p.iterations { print("") }
        } else {
            let tenth = done * 10 / max(p.iterations, 1)
            guard tenth != lastPrinted || done == p.iterations else { return }
            lastPrinted = tenth
            print(String(format: "%@ step %d/%d objective %.4g best %.4g (%.1fs elapsed)",
                         label, done, p.iterations, Double(p.objective), Double(p.bestObjective), elapsed))
        }
    }
}

extension VideoFormat: ExpressibleByArgument {}

extension Preset: ExpressibleByArgument {
    public init?(argument: String) {
        guard let p = Preset.named(argument) else { return nil }
        self = p
    }
    public static var allValueStrings: [String] { Preset.all.map(\.name) }
}

extension AscentSettings {
    /// The live ascent of `live` and `serve`: the named preset or the model's default (its manifest's best), nil when off.
    static func live(preset name: String?, iterations: Int, off: Bool, info: ModelInfo) throws -> AscentSettings? {
        if off { return nil }
        let catalog = try PresetCatalog(for: info)
        return AscentSettings(preset: try name.map(catalog.named) ?? catalog.defaultPreset, iterations: iterations)
    }
}
