import Foundation
import Imaging

/// What a finished optimization leaves beside its images (`NAME.json`): also the marker that it is complete.
public struct RunRecord: Codable, Sendable {
    /// What makes two `deepvis optimize` runs the same (for resume).
    public var arguments: [String]
    public var preset: Preset
    public var objective: String
    public var bestObjective: Float
    public var bestStep: Int
    public var stop: String
    public var robustScore: Float?
    public var top1UnderJitter: Double?
    /// Class runs: the optimized network's rates first, then each judge's.
    public var verdicts: [ClassifierVerdict]?
    public var files: [String]
    /// The store key of this run, when it was written into the unit-image store.
    public var unit: UnitImageKey?
    /// The objective at every step.
    public var curve: [Float]?
    /// Step, objective and activation of each image in `NAME-frames.png` (top to bottom).
    public var frames: [RecordedFrame]?

    /// A record of a run with `preset` on `objective` that kept its best image at `bestStep`.
    public init(arguments: [String], preset: Preset, objective: String, bestObjective: Float, bestStep: Int, stop: String,
                robustScore: Float? = nil, top1UnderJitter: Double? = nil, verdicts: [ClassifierVerdict]? = nil, files: [String]) {
        self.arguments = arguments; self.preset = preset; self.objective = objective; self.bestObjective = bestObjective
        self.bestStep = bestStep; self.stop = stop; self.robustScore = robustScore; self.top1UnderJitter = top1UnderJitter
        self.verdicts = verdicts; self.files = files
    }
}

/// One classifier's rates for an optimized class image over jittered copies, as seen and as shown.
public struct ClassifierVerdict: Codable, Sendable {
    public var name: String
    public var seen: JitterRates
    public var shown: JitterRates
    public var stretched: Bool

    /// Rates of `name` for the image as seen and as shown (`stretched`: the shown image is a contrast stretch).
    public init(name: String, seen: JitterRates, shown: JitterRates, stretched: Bool) {
        self.name = name; self.seen = seen; self.shown = shown; self.stretched = stretched
    }

    /// One line for the command's output and the HTML page.
    public func line(judge: Bool) -> String {
        String(format: "%@ %@: top-1 %.0f%% / top-5 %.0f%% as seen, top-1 %.0f%% / top-5 %.0f%% as shown%@ (20 jittered copies)",
               judge ? "judge" : "same network", name, seen.top1 * 100, seen.top5 * 100, shown.top1 * 100, shown.top5 * 100,
               stretched ? " (contrast-stretched: the seen image is faint)" : " (= seen)")
    }
}

/// One history image's numbers in a `RunRecord`.
public struct RecordedFrame: Codable, Sendable, Equatable {
    public var step: Int
    public var objective: Float
    public var activation: Float
}

/// A finished optimization read back from disk (the store, or a `deepvis optimize` output directory).
public struct StoredRun: Sendable {
    public var record: RunRecord
    /// The best image for display (`NAME.png`).
    public var image: RGBImage
    /// The best image as the network saw it (`NAME-seen.png`).
    public var seen: RGBImage
    /// Every recorded history image with its numbers (empty when the run kept no history).
    public var history: [HistoryEntry]
}

/// The files of one finished optimization: `NAME.png`, `NAME-seen.png`, `NAME-history.png` (a strip),
/// `NAME-frames.png` (every history image, stacked), `NAME.html` and, written last, `NAME.json`.
public enum RunFiles {
    /// The record of a finished run in `dir`, if it exists, decodes, and every file it lists is there.
    public static func record(_ dir: String, name: String) -> RunRecord? {
        guard let data = FileManager.default.contents(atPath: "\(dir)/\(name).json"),
              let r = try? JSONDecoder().decode(RunRecord.self, from: data),
              r.files.allSatisfy({ FileManager.default.fileExists(atPath: "\(dir)/\($0)") }) else { return nil }
        return r
    }

    /// The record of a finished run with exactly these arguments, if one exists in `dir`.
    public static func finished(_ dir: String, name: String, arguments: [String]) -> RunRecord? {
        guard let r = record(dir, name: name), r.arguments == arguments else { return nil }
        return r
    }

    /// The record and best image (`NAME.png`) of a finished run: one PNG decode, for a viewer that must answer at once.
    public static func readBest(_ dir: String, name: String) throws -> (record: RunRecord, image: RGBImage) {
        guard let record = record(dir, name: name) else { throw RunFilesError.incomplete("\(dir)/\(name).json") }
        return (record, try ImageCodec.read(path: "\(dir)/\(name).png"))
    }

    /// Reads a finished run back; throws if any file is missing, truncated or inconsistent with the record.
    public static func read(_ dir: String, name: String) throws -> StoredRun {
        let (record, image) = try readBest(dir, name: name)
        let seen = try ImageCodec.read(path: "\(dir)/\(name)-seen.png")
        var history: [HistoryEntry] = []
        if let frames = record.frames, !frames.isEmpty {
            let strip = try ImageCodec.read(path: "\(dir)/\(name)-frames.png")
            let h = strip.height / frames.count
            guard h > 0, h * frames.count == strip.height else {
                throw RunFilesError.incomplete("\(dir)/\(name)-frames.png: \(strip.height) rows for \(frames.count) frames")
            }
            history = frames.enumerated().map { i, f in
                HistoryEntry(step: f.step, image: strip.cropped(x: 0, y: i * h, width: strip.width, height: h),
                             objective: f.objective, activation: f.activation)
            }
        }
        return StoredRun(record: record, image: image, seen: seen, history: history)
    }

    /// Writes the run's record last and atomically, so its presence means every other file is complete.
    public static func writeRecord(_ r: RunRecord, dir: String, name: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileBytes.writeAtomically(Array(try enc.encode(r)), to: "\(dir)/\(name).json")
    }

    /// Writes the best image (display and as seen), the history strip, every history frame and the HTML history
    /// page, each atomically; returns their file names.
    public static func writeImages(best: RGBImage, seen: RGBImage, history: [HistoryEntry], dir: String, name: String,
                                   title: String, details: [String]) throws -> [String] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var files = ["\(name).png", "\(name)-seen.png"]
        try best.writePNG(to: "\(dir)/\(name).png")
        try seen.writePNG(to: "\(dir)/\(name)-seen.png")
        if !history.isEmpty {
            try HistoryExport.strip(history).writePNG(to: "\(dir)/\(name)-history.png")
            try ContactSheet.make(history.map(\.image), columns: 1, gap: 0).writePNG(to: "\(dir)/\(name)-frames.png")
            let page = try HistoryExport.html(history, title: title, details: details)
            try FileBytes.writeAtomically(Array(page.utf8), to: "\(dir)/\(name).html")
            files += ["\(name)-history.png", "\(name)-frames.png", "\(name).html"]
        }
        return files
    }

    /// `writeImages` for a finished `GradientAscent` run.
    public static func writeImages(_ result: AscentResult, dir: String, name: String, title: String,
                                   details: [String]) throws -> [String] {
        try writeImages(best: result.best, seen: result.bestAsSeen, history: result.history, dir: dir, name: name,
                        title: title, details: details)
    }

    /// The numbers of each history image, for `RunRecord.frames`.
    public static func frames(_ history: [HistoryEntry]) -> [RecordedFrame] {
        history.map { RecordedFrame(step: $0.step, objective: $0.objective, activation: $0.activation) }
    }
}

/// A stored run that cannot be used.
public enum RunFilesError: Error, CustomStringConvertible {
    case incomplete(String)

    public var description: String {
        switch self {
        case let .incomplete(what): return "incomplete or corrupt optimization files: \(what)"
        }
    }
}
