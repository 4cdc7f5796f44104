/// A key press scheduled at a frame number, from `--keys`.
public struct ScheduledKey: Sendable, Equatable {
    /// Zero-based index of the displayed frame before which the key is pressed.
    public var frame: Int
    /// A key name from `KeyTable`.
    public var key: String

    /// Press `key` at `frame`.
    public init(frame: Int, key: String) {
        self.frame = frame
        self.key = key
    }
}

/// Why a `--keys` sequence could not be read, in words a user can act on.
public enum KeySequenceError: Error, Equatable, CustomStringConvertible {
    case malformedEntry(String)
    case badFrame(String)
    case unknownKey(String, known: [String])
    /// A frame number, a repeat count or the total number of presses beyond `KeySequence`'s limits.
    case tooLarge(String, limit: Int)

    public var description: String {
        switch self {
        case .malformedEntry(let entry):
            return "--keys: '\(entry)' is not FRAME:KEY (example: 10:o,20:right,25:b)"
        case .badFrame(let entry):
            return "--keys: '\(entry)' needs a frame number ≥ 0 before the colon"
        case .unknownKey(let key, let known):
            return "--keys: unknown key '\(key)'; known keys: \(known.joined(separator: " "))"
        case .tooLarge(let what, let limit):
            return "--keys: \(what) is more than \(limit)"
        }
    }
}

/// Parses `--keys` sequences.
///
/// Syntax: comma-separated `FRAME:KEY` entries, e.g. `10:o,20:right,25:b`. FRAME is the zero-based
/// number of the displayed frame at which the key is pressed; KEY is a key name of the key table
/// (a letter, `space`, `escape`, `left`, `right`, `up`, `down`, `[`, `]`), case-insensitive.
/// `FRAME:KEY*N` presses the key N times (N ≤ 10 000, FRAME ≤ 10 000 000). Spaces around entries are ignored; entries are sorted by
/// frame, keeping the written order within a frame.
public enum KeySequence {
    /// Largest frame number (about four days at 30 fps).
    public static let maxFrame = 10_000_000
    /// Largest `*N` repeat count, and the most presses a whole sequence may hold.
    public static let maxPresses = 10_000

    /// The scheduled presses in `text`, checked against `table`.
    public static func parse(_ text: String, table: KeyTable = .standard) throws(KeySequenceError) -> [ScheduledKey] {
        var presses: [ScheduledKey] = []
        for raw in text.split(separator: ",") {
            let entry = trimmed(raw)
            guard !entry.isEmpty else { continue }
            // Split at the first colon only: the key itself may not contain one, but say so clearly.
            guard let colon = entry.firstIndex(of: ":") else { throw .malformedEntry(entry) }
            guard let frame = Int(trimmed(entry[..<colon])), frame >= 0 else {
                throw .badFrame(entry)
            }
            guard frame <= maxFrame else { throw .tooLarge("frame \(frame) in '\(entry)'", limit: maxFrame) }
            var keyPart = trimmed(entry[entry.index(after: colon)...]).lowercased()
            var repeats = 1
            if let star = keyPart.lastIndex(of: "*"), star != keyPart.startIndex {
                let digits = keyPart[keyPart.index(after: star)...]
                // Digits that overflow Int are a count too large, not a typo.
                let overflows = !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber } && Int(digits) == nil
                if overflows { throw .tooLarge("the repeat count in '\(entry)'", limit: maxPresses) }
                guard let n = Int(digits), n >= 1 else { throw .malformedEntry(entry) }
                guard n <= maxPresses else { throw .tooLarge("the repeat count in '\(entry)'", limit: maxPresses) }
                repeats = n
                keyPart = String(keyPart[..<star])
            }
            guard !keyPart.isEmpty else { throw .malformedEntry(entry) }
            guard table.command(forKey: keyPart) != nil else {
                throw .unknownKey(keyPart, known: table.keyNames.sorted())
            }
            guard presses.count + repeats <= maxPresses else { throw .tooLarge("the number of presses", limit: maxPresses) }
            presses += Array(repeating: ScheduledKey(frame: frame, key: keyPart), count: repeats)
        }
        // Swift's sort is not guaranteed stable; sort by (frame, position) to keep written order.
        return presses.enumerated()
            .sorted { ($0.element.frame, $0.offset) < ($1.element.frame, $1.offset) }
            .map(\.element)
    }

    /// The keys scheduled exactly at `frame`.
    public static func keys(at frame: Int, in presses: [ScheduledKey]) -> [String] {
        presses.filter { $0.frame == frame }.map(\.key)
    }
}

/// `text` without leading and trailing whitespace (keeps this module free of Foundation).
private func trimmed<S: StringProtocol>(_ text: S) -> String {
    var s = Substring(text)
    while let f = s.first, f.isWhitespace { s.removeFirst() }
    while let l = s.last, l.isWhitespace { s.removeLast() }
    return String(s)
}
