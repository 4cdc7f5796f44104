import Foundation
import Glibc
import Imaging

/// What identifies a finished optimization in the unit-image store.
public struct UnitImageKey: Codable, Sendable, Hashable {
    /// sha256 of the model file (hex), so another model's images are never served.
    public var modelSHA256: String
    public var layer: String
    public var unit: Int
    /// The objective's name, e.g. "blocks.15:3", "blocks.15:3-mean", "logit:281".
    public var objective: String
    /// The preset's name (in file names).
    public var preset: String
    /// The preset itself, so an entry made before a manifest redefined a preset of that name is not served.
    public var presetDefinition: Preset?
    public var iterations: Int
    public var seed: UInt64
    public var inputWidth: Int
    public var inputHeight: Int

    /// A key from its parts.
    public init(modelSHA256: String, layer: String, unit: Int, objective: String, preset: Preset, iterations: Int,
                seed: UInt64, inputWidth: Int, inputHeight: Int) {
        self.modelSHA256 = modelSHA256; self.layer = layer; self.unit = unit; self.objective = objective
        self.preset = preset.name; presetDefinition = preset; self.iterations = iterations; self.seed = seed
        self.inputWidth = inputWidth; self.inputHeight = inputHeight
    }

    /// The file base name `deepvis optimize` gives this run: OBJECTIVE-PRESET-sSEED (":" becomes "-").
    public var name: String { RunFiles.name(objective: objective, preset: preset, seed: seed) }

    /// The entry's directory below the store root: model / input size and iterations.
    public var directory: String { "\(modelSHA256.prefix(16))/\(inputWidth)x\(inputHeight)-i\(iterations)" }
}

extension RunFiles {
    /// The file base name of a run: OBJECTIVE-PRESET-sSEED, with ":" replaced by "-".
    public static func name(objective: String, preset: String, seed: UInt64) -> String {
        "\(objective.replacingOccurrences(of: ":", with: "-"))-\(preset)-s\(seed)"
    }
}

/// Why the store cannot be used (the viewer then runs without it and says so).
public struct UnitImageStoreError: Error, CustomStringConvertible {
    public var description: String
}

/// Finished optimizations on disk (DESIGN §8), in the layout `deepvis optimize` writes, so the same code reads both.
///
/// Entries are written file by file atomically with the record last; an entry whose record is missing, or whose
/// files are truncated or do not match the key, is treated as absent and replaced by the next `save`. The size is
/// bounded: after a save, least recently used entries (by their record's modification time, touched on every load)
/// are deleted until the store fits `maxBytes`. Thread-safe: every call works on files only.
public final class UnitImageStore: Sendable {
    /// The directory holding the entries.
    public let root: String
    /// Upper bound on the store's size in bytes; nil for none.
    public let maxBytes: Int?

    /// Opens (creating it if needed) the store at `root`; throws a one-line reason if it is not a writable directory.
    public init(root: String, maxMegabytes: Int? = nil) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw UnitImageStoreError(description: "cache '\(root)' is not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            } catch {
                throw UnitImageStoreError(description: "cannot create cache directory '\(root)': \(error.localizedDescription)")
            }
        }
        guard access(root, W_OK | X_OK) == 0 else { throw UnitImageStoreError(description: "cache directory '\(root)' is not writable") }
        self.root = root
        maxBytes = maxMegabytes.map { $0 << 20 }
    }

    /// `$XDG_CACHE_HOME/deepvis`, else `~/.cache/deepvis`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/deepvis" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/deepvis"
    }

    /// The directory of `key`'s entry.
    public func directory(of key: UnitImageKey) -> String { "\(root)/\(key.directory)" }

    /// Whether an entry for `key` looks finished (its record exists); cheap, for counting — `load` checks it fully.
    public func contains(_ key: UnitImageKey) -> Bool {
        FileManager.default.fileExists(atPath: "\(directory(of: key))/\(key.name).json")
    }

    /// The finished run stored for `key`, or nil if there is none or it is unusable (truncated, corrupt, another key).
    public func load(_ key: UnitImageKey) -> StoredRun? {
        let dir = directory(of: key)
        guard let run = try? RunFiles.read(dir, name: key.name), run.record.unit == key else { return nil }
        // Touch the record: its modification time is the entry's last use for the LRU bound.
        _ = utimes("\(dir)/\(key.name).json", nil)
        return run
    }

    /// The record and best image stored for `key` (no history, no LRU touch: `load` follows), or nil.
    public func loadBest(_ key: UnitImageKey) -> (record: RunRecord, image: RGBImage)? {
        guard let best = try? RunFiles.readBest(directory(of: key), name: key.name), best.record.unit == key else { return nil }
        return best
    }

    /// Stores a finished run under `key` (replacing any entry), then trims the store to `maxBytes`.
    public func save(_ key: UnitImageKey, preset: Preset, best: RGBImage, seen: RGBImage, history: [HistoryEntry],
                     curve: [Float], bestObjective: Float, bestStep: Int) throws {
        let dir = directory(of: key)
        // The record goes first (away) and last (back): a crash in between leaves an entry that reads as absent.
        try? FileManager.default.removeItem(atPath: "\(dir)/\(key.name).json")
        let files = try RunFiles.writeImages(best: best, seen: seen, history: history, dir: dir, name: key.name,
                                             title: "\(key.objective) — \(key.preset)", details: [])
        var record = RunRecord(arguments: [], preset: preset, objective: key.objective, bestObjective: bestObjective,
                               bestStep: bestStep, stop: "finished", files: files)
        record.unit = key
        record.curve = curve
        record.frames = RunFiles.frames(history)
        try RunFiles.writeRecord(record, dir: dir, name: key.name)
        if let maxBytes { trim(to: maxBytes) }
    }

    /// Deletes least recently used entries until the store's files total at most `limit` bytes.
    public func trim(to limit: Int) {
        var entries: [(dir: String, name: String, used: Date, bytes: Int)] = []
        var total = 0
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { return }
        var sizes: [String: Int] = [:]
        while let path = walker.nextObject() as? String {
            let full = "\(root)/\(path)"
            guard let attributes = try? fm.attributesOfItem(atPath: full), attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            let bytes = (attributes[.size] as? Int) ?? 0
            total += bytes
            let dir = (full as NSString).deletingLastPathComponent, file = (full as NSString).lastPathComponent
            sizes[dir + "/" + Self.entryName(of: file), default: 0] += bytes
            if file.hasSuffix(".json"), let date = attributes[.modificationDate] as? Date {
                entries.append((dir, String(file.dropLast(5)), date, 0))
            }
        }
        guard total > limit else { return }
        for entry in entries.sorted(by: { $0.used < $1.used }) {
            guard total > limit else { break }
            let record = RunFiles.record(entry.dir, name: entry.name)
            for file in (record?.files ?? []) + ["\(entry.name).json"] { try? fm.removeItem(atPath: "\(entry.dir)/\(file)") }
            total -= sizes["\(entry.dir)/\(entry.name)"] ?? 0
        }
    }

    /// The entry a file belongs to: its name without the extension and the `-seen`/`-history`/`-frames` suffix.
    private static func entryName(of file: String) -> String {
        var base = (file as NSString).deletingPathExtension
        for suffix in ["-seen", "-history", "-frames"] where base.hasSuffix(suffix) {
            base = String(base.dropLast(suffix.count))
        }
        return base
    }
}
