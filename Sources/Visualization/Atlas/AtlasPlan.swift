import Foundation

/// What can go wrong making an atlas, in words a user can act on.
public enum AtlasError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `--units` text that is not a list of channels and ranges.
    case badUnits(String)
    /// `--shard` text or shard environment variables that make no sense.
    case badShard(String)
    /// A unit outside the layer's channels.
    case unitOutOfRange(unit: Int, channels: Int, layer: String)
    /// The layer has no spatial positions to crop patches from.
    case notSpatial(layer: String, shape: [Int])
    /// The output directory holds an atlas made with other settings.
    case settingsDiffer(directory: String, detail: String)
    /// `merge` found units without results.
    case missingUnits(directory: String, units: [Int])
    /// No images or frames to search for top activations.
    case noImages(String)
    /// `merge` on a directory without `atlas.json`.
    case notAnAtlas(directory: String)
    /// One image of the data set cannot be read; the data pass skips it.
    case unreadableImage(name: String, reason: String)
    /// `merge` found units written twice with different results.
    case conflictingDuplicates(directory: String, units: [Int: [String]])
    /// A file operation failed.
    case io(String)

    public var description: String {
        switch self {
        case let .badUnits(s): return "--units '\(s)': expected channels 0-\(maxUnitIndex) and ranges like 0-15 or 3,7,10-12"
        case let .badShard(s): return "shard: \(s)"
        case let .unitOutOfRange(u, n, l): return "unit \(u) is out of range: layer '\(l)' has channels 0-\(n - 1)"
        case let .notSpatial(l, shape): return "layer '\(l)' of shape \(shape) has no spatial positions; pick a convolutional layer"
        case let .settingsDiffer(d, detail):
            return "\(d) holds an atlas made with other settings (\(detail)); use another --out or delete it"
        case let .missingUnits(d, units):
            let list = units.prefix(20).map(String.init).joined(separator: ", ")
            return "\(d): \(units.count) unit(s) have no results yet: \(list)\(units.count > 20 ? ", …" : "") — run (or rerun) the shards that own them"
        case let .noImages(s): return "\(s): no images or frames to search"
        case let .unreadableImage(name, reason): return "\(name): \(reason)"
        case let .conflictingDuplicates(d, units):
            let list = units.keys.sorted().prefix(10).map { "unit \($0) (\(units[$0]!.joined(separator: ", ")))" }.joined(separator: "; ")
            return "\(d): \(units.count) unit(s) were written twice with different results: \(list) — two shards computed the same unit "
                + "with different binaries or settings; delete the wrong copy (or both, and rerun) and merge again"
        case let .io(s): return s
        case let .notAnAtlas(d): return "\(d)/atlas.json is missing — not an atlas directory, or no shard has finished its data pass yet"
        }
    }
}

/// The largest channel index a unit list may name: no layer has more channels, and the cap keeps
/// `0-99999999999` from allocating a set of 10¹¹ numbers.
public let maxUnitIndex = 65_535

/// Parses unit lists: "5", "0-15", "3,7,10-12" (inclusive ranges, 0…`maxUnitIndex`), sorted and without repeats.
public func parseUnits(_ text: String) throws -> [Int] {
    var units = Set<Int>()
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
        let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0 != nil && (0...maxUnitIndex).contains($0!) }),
              bounds.first!! <= bounds.last!! else {
            throw AtlasError.badUnits(text)
        }
        units.formUnion(bounds.first!!...bounds.last!!)
    }
    return units.sorted()
}

/// One of `count` processes sharing an atlas: units are dealt round-robin (the k-th unit of the
/// sorted list goes to shard k mod count), so every shard gets a similar mix of units.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 0-based.
    public var index: Int
    public var count: Int

    /// The single shard that does everything.
    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) { self.index = index; self.count = count }

    /// Parses "i/n" with 0 ≤ i < n.
    public init(parsing text: String) throws {
        let p = text.split(separator: "/").map { Int($0) }
        guard p.count == 2, let i = p[0], let n = p[1], n >= 1, (0..<n).contains(i) else {
            throw AtlasError.badShard("'\(text)': expected i/n with 0 ≤ i < n, e.g. 0/4")
        }
        self.init(index: i, count: n)
    }

    /// The shard named by a Slurm array task or a Kubernetes Indexed Job, if either is set.
    ///
    /// Slurm: `SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN` (arrays may start at 1) of
    /// `SLURM_ARRAY_TASK_COUNT`. Kubernetes: `JOB_COMPLETION_INDEX` of `count` (from `--shards`)
    /// or `DEEPVIS_SHARD_COUNT`, since a pod is not told its job's completion count.
    public static func fromEnvironment(_ env: [String: String], count: Int? = nil) throws -> Shard? {
        func number(_ key: String) throws -> Int? {
            guard let text = env[key] else { return nil }
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else { throw AtlasError.badShard("\(key)='\(text)' is not a number") }
            return n
        }
        if let id = try number("SLURM_ARRAY_TASK_ID") {
            guard let n = try count ?? number("SLURM_ARRAY_TASK_COUNT") else {
                throw AtlasError.badShard("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shards N")
            }
            return try checked(id - (try number("SLURM_ARRAY_TASK_MIN") ?? 0), n, "SLURM_ARRAY_TASK_ID")
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let n = try count ?? number("DEEPVIS_SHARD_COUNT") else {
                throw AtlasError.badShard("JOB_COMPLETION_INDEX is set; give the job's completions as --shards N or DEEPVIS_SHARD_COUNT")
            }
            return try checked(index, n, "JOB_COMPLETION_INDEX")
        }
        return nil
    }

    private static func checked(_ i: Int, _ n: Int, _ source: String) throws -> Shard {
        guard n >= 1, (0..<n).contains(i) else { throw AtlasError.badShard("\(source) gives shard \(i) of \(n)") }
        return Shard(index: i, count: n)
    }

    /// This shard's share of `items` (in their order): the k-th item goes to shard k mod count.
    public func select<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % count == index }.map(\.element)
    }

    /// The shard of this process: `--shard i/n` if given, else the environment's (Slurm, Kubernetes), else the whole.
    public static func resolve(option: String?, count: Int?, environment: [String: String]) throws -> Shard {
        try option.map(Shard.init(parsing:)) ?? fromEnvironment(environment, count: count) ?? .whole
    }

    public var description: String { "\(index)/\(count)" }
}

/// Everything that decides an atlas's content: stored as `atlas.json`, identical for every shard,
/// so shards of one job agree and a rerun with other settings is refused rather than mixed in.
public struct AtlasSettings: Sendable, Equatable, Codable {
    public var model: String
    public var layer: String
    public var units: [Int]
    /// What the patches came from ("images DIR (N files)" or "video FILE, every K-th frame, at most M").
    public var source: String
    public var imageNames: [String]
    public var preset: Preset
    public var iterations: Int
    public var seed: UInt64
    public var patches: Int
    /// The backward mode of the patch images (`BackwardMode` raw value).
    public var backward: String
    public var receptiveField: ReceptiveField
    /// Images the data pass could not read ("name: reason"); nil when none.
    public var skippedImages: [String]? = nil

    public init(model: String, layer: String, units: [Int], source: String, imageNames: [String], preset: Preset,
                iterations: Int, seed: UInt64, patches: Int, backward: String, receptiveField: ReceptiveField) {
        self.model = model; self.layer = layer; self.units = units; self.source = source; self.imageNames = imageNames
        self.preset = preset; self.iterations = iterations; self.seed = seed; self.patches = patches; self.backward = backward
        self.receptiveField = receptiveField
    }

    /// The directory of one unit's results.
    public static func unitDirectory(_ unit: Int) -> String { String(format: "unit-%04d", unit) }
}
