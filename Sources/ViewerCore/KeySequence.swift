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

    public var description: String {
        switch self {
        case .malformedEntry(let entry):
            return "--keys: '\(entry)' is not FRAME:KEY (example: 10:o,20:right,25:b)"
        case .badFrame(let entry):
            return "--keys: '\(entry)' needs a frame number ≥ 0 before the colon"
        case .unknownKey(let key, let known):
            return "--keys: unknown key '\(key)'; known keys: \(known.joined(separator: " "))"
        }
    }
}

/// Parses `--keys` sequences.
///
/// Syntax: comma-separated `FRAME:KEY` entries, e.g. `10:o,20:right,25:b`. FRAME is the zero-based
/// number of the displayed frame at which the key is pressed; KEY is a key name of the key table
/// (a letter, `space`, `escape`, `left`, `right`, `up`, `down`, `[`, `]`), case-insensitive.
/// `FRAME:KEY*N` presses the key N times. Spaces around entries are ignored; entries are sorted by
/// frame, keeping the written order within a frame.
public enum KeySequence {
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
            var keyPart = trimmed(entry[entry.index(after: colon)...]).lowercased()
            var repeats = 1
            if let star = keyPart.lastIndex(of: "*"), star != keyPart.startIndex {
                guard let n = Int(keyPart[keyPart.index(after: star)...]), n >= 1 else { throw .malformedEntry(entry) }
                repeats = n
                keyPart = String(keyPart[..<star])
            }
            guard !keyPart.isEmpty else { throw .malformedEntry(entry) }
            guard table.command(forKey: keyPart) != nil else {
                throw .unknownKey(keyPart, known: table.keyNames.sorted())
            }
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
