import ArgumentParser
import Visualization

/// The accepted range of every numeric option, in one place: `validate()` checks against these and the
/// help texts quote them, so a typo like `--runs 0` or `--size 99999999999x720` is a one-line error, not a
/// trap or a petabyte allocation.
enum OptionRanges {
    static let top = 1...1000
    static let runs = 1...100_000
    static let warmup = 0...10_000
    static let frames = 1...10_000_000
    static let iterations = 1...100_000
    static let ascentIterations = 2...100_000
    static let historyEvery = 0...100_000
    static let search = 1...10_000
    static let fps = 1...120
    static let shards = 1...100_000
    static let every = 1...100_000
    static let maxFrames = 1...1_000_000
    static let patches = 1...100
    static let windowWidth = 320...7680
    static let windowHeight = 240...4320
    static let interval = 0.01...86_400.0
    static let firstFrameTimeout = 0.1...3600.0
    static let tv = 0.0...1000.0
    static let classIndex = 0...1_000_000
    /// Channels in --units / --unit lists (no layer has more).
    static let unit = 0...maxUnitIndex

    /// Throws "FLAG must be between A and B (got V)" unless `value` lies in `range`.
    static func check(_ value: Int, _ range: ClosedRange<Int>, _ flag: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
    }

    /// The same for real numbers; NaN and infinities are out of every range.
    static func check(_ value: Double, _ range: ClosedRange<Double>, _ flag: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(flag) must be between \(format(range.lowerBound)) and \(format(range.upperBound)) (got \(value))")
        }
    }

    /// "1–1000", for help texts.
    static func text(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)–\(range.upperBound)" }

    /// "0.01–86400", for help texts.
    static func text(_ range: ClosedRange<Double>) -> String { "\(format(range.lowerBound))–\(format(range.upperBound))" }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}
