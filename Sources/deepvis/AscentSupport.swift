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

/// What a finished run leaves in its output directory: also the marker that lets a rerun skip it.
struct RunRecord: Codable {
    var arguments: [String]
    var preset: Preset
    var objective: String
    var bestObjective: Float
    var bestStep: Int
    var stop: String
    var robustScore: Float?
    var top1UnderJitter: Double?
    /// Class runs: the optimized network's rates first, then each judge's.
    var verdicts: [ClassifierVerdict]?
    var files: [String]
}

/// One classifier's rates for an optimized class image over jittered copies, as seen and as shown.
struct ClassifierVerdict: Codable {
    var name: String
    var seen: JitterRates
    var shown: JitterRates
    var stretched: Bool

    func line(judge: Bool) -> String {
        String(format: "%@ %@: top-1 %.0f%% / top-5 %.0f%% as seen, top-1 %.0f%% / top-5 %.0f%% as shown%@ (20 jittered copies)",
               judge ? "judge" : "same network", name, seen.top1 * 100, seen.top5 * 100, shown.top1 * 100, shown.top5 * 100,
               stretched ? " (contrast-stretched: the seen image is faint)" : " (= seen)")
    }
}

enum RunFiles {
    /// The record of a finished run with exactly these arguments, if one exists in `dir`.
    static func finished(_ dir: String, name: String, arguments: [String]) -> RunRecord? {
        let path = "\(dir)/\(name).json"
        guard let data = FileManager.default.contents(atPath: path),
              let r = try? JSONDecoder().decode(RunRecord.self, from: data), r.arguments == arguments,
              r.files.allSatisfy({ FileManager.default.fileExists(atPath: "\(dir)/\($0)") }) else { return nil }
        return r
    }

    /// Writes the run's record last and atomically, so its presence means every other file is complete.
    static func writeRecord(_ r: RunRecord, dir: String, name: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileBytes.writeAtomically(Array(try enc.encode(r)), to: "\(dir)/\(name).json")
    }

    /// Writes the best image, the history strip and the HTML history page; returns their file names.
    static func writeImages(_ result: AscentResult, dir: String, name: String, title: String, details: [String]) throws -> [String] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var files = ["\(name).png", "\(name)-seen.png"]
        try result.best.writePNG(to: "\(dir)/\(name).png")
        try result.bestAsSeen.writePNG(to: "\(dir)/\(name)-seen.png")
        if !result.history.isEmpty {
            try HistoryExport.strip(result.history).writePNG(to: "\(dir)/\(name)-history.png")
            let page = try HistoryExport.html(result.history, title: title, details: details)
            try FileBytes.writeAtomically(Array(page.utf8), to: "\(dir)/\(name).html")
            files += ["\(name)-history.png", "\(name).html"]
        }
        return files
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
