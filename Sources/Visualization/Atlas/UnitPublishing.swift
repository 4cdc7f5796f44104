import Foundation

/// What happened when a finished unit directory was published.
public enum AtlasPublishOutcome: Sendable, Equatable {
    /// Renamed into place.
    case published
    /// Another shard had published the same unit with identical files; ours was dropped.
    case duplicate
    /// Another shard had published the same unit with different files; ours was kept at this path
    /// for `atlas merge` to report.
    case conflict(String)
}

/// Unit directories are built under a name private to one builder (`unit-NNNN.partial-HOST-PID-TOKEN`)
/// and renamed into place in one step, so two shards computing the same unit (a misconfigured
/// array) can never mix their files: the first rename wins, the second is compared with it.
public enum AtlasUnitDirectory {
    static let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"

    /// A fresh staging directory for `unit`, private to this process; removes this host's stale
    /// ones (their process is gone: a killed task).
    public static func staging(unit: Int, in directory: String) throws -> String {
        let base = AtlasSettings.unitDirectory(unit)
        let prefix = "\(base).partial-\(host)-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(prefix) {
            let owner = name.dropFirst(prefix.count).split(separator: "-").first.flatMap { Int32($0) }
            if let pid = owner, kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")
            }
        }
        // PID for the stale check, plus a token: two builders in one process (tests) stay apart too.
        let path = "\(directory)/\(prefix)\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Renames `staging` (complete, `unit.json` included) to the unit's directory.
    public static func publish(_ staging: String, unit: Int, in directory: String) throws -> AtlasPublishOutcome {
        let final = "\(directory)/\(AtlasSettings.unitDirectory(unit))"
        for _ in 0..<2 {
            if rename(staging, final) == 0 { return .published }
            let code = errno
            guard code == ENOTEMPTY || code == EEXIST else {
                throw AtlasError.io("cannot rename \(staging) to \(final): \(String(cString: strerror(code)))")
            }
            if FileManager.default.fileExists(atPath: "\(final)/unit.json") { break }
            // A half-written directory from an older layout: nobody is finishing it.
            try? FileManager.default.removeItem(atPath: final)
        }
        if sameContents(staging, final) {
            try? FileManager.default.removeItem(atPath: staging)
            return .duplicate
        }
        let kept = "\(final).conflict-\(host)-\(getpid())-\(UUID().uuidString.prefix(8))"
        guard rename(staging, kept) == 0 else {
            throw AtlasError.io("cannot rename \(staging) to \(kept): \(String(cString: strerror(errno)))")
        }
        return .conflict(kept)
    }

    /// Conflicting copies (`unit-NNNN.conflict-…`) in an atlas directory, by unit.
    public static func conflicts(in directory: String) -> [Int: [String]] {
        var out: [Int: [String]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let parts = name.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix("conflict-"), parts[0].hasPrefix("unit-"),
                  let unit = Int(parts[0].dropFirst(5)) else { continue }
            out[unit, default: []].append(name)
        }
        return out.mapValues { $0.sorted() }
    }

    /// True when both directories hold the same file names with the same bytes.
    static func sameContents(_ a: String, _ b: String) -> Bool {
        let fm = FileManager.default
        guard let x = try? fm.contentsOfDirectory(atPath: a).sorted(), let y = try? fm.contentsOfDirectory(atPath: b).sorted(),
              x == y else { return false }
        return x.allSatisfy { fm.contents(atPath: "\(a)/\($0)") == fm.contents(atPath: "\(b)/\($0)") }
    }
}
