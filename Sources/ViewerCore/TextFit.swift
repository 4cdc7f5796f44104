/// Fitting text into a width: the longest prefix that fits, followed by "…" (never a cut glyph).
public enum TextFit {
    /// The ellipsis appended to shortened text.
    public static let ellipsis = "…"

    /// `text` if `measure(text) <= maxWidth`, else its longest prefix (trailing spaces dropped) plus "…" that fits,
    /// else "" (not even "…" fits). `measure` returns a string's width in pixels.
    public static func elide(_ text: String, maxWidth: Int, measure: (String) -> Int) -> String {
        guard measure(text) > maxWidth else { return text }
        guard measure(ellipsis) <= maxWidth else { return "" }
        let characters = Array(text)
        // Widths grow with the prefix length, so a binary search finds the longest prefix that fits.
        var low = 0, high = characters.count
        while low < high {
            let mid = (low + high + 1) / 2
            let candidate = String(characters[..<mid]).trimmingTrailingSpaces() + ellipsis
            if measure(candidate) <= maxWidth { low = mid } else { high = mid - 1 }
        }
        return String(characters[..<low]).trimmingTrailingSpaces() + ellipsis
    }

    /// `text` broken at spaces into at most `maxLines` lines that each fit `maxWidth`; the last line is elided
    /// with "…" if text remains (a word longer than a line is elided too).
    public static func wrap(_ text: String, maxWidth: Int, maxLines: Int, measure: (String) -> Int) -> [String] {
        var lines: [String] = []
        var words = text.split(separator: " ").map(String.init)[...]
        while let first = words.first, lines.count < maxLines {
            var line = first
            words = words.dropFirst()
            while let next = words.first, measure(line + " " + next) <= maxWidth {
                line += " " + next
                words = words.dropFirst()
            }
            if lines.count == maxLines - 1 && !words.isEmpty { line += " " + words.joined(separator: " ") }
            lines.append(elide(line, maxWidth: maxWidth, measure: measure))
        }
        return lines
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
