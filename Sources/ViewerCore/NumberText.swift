/// Short, locale-independent number formatting for on-screen figures.
public enum NumberText {
    /// `value` with exactly `decimals` digits after the point, e.g. `fixed(3.14159, 2)` = "3.14".
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<max(decimals, 0) { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return value > 0 ? "huge" : "-huge" }
        let units = Int(scaled)
        let sign = value < 0 && units != 0 ? "-" : ""
        let whole = units / Int(scale)
        guard decimals > 0 else { return sign + "\(whole)" }
        var fraction = String(units % Int(scale))
        while fraction.count < decimals { fraction = "0" + fraction }
        return sign + "\(whole).\(fraction)"
    }

    /// About three significant digits: 1234 → "1234", 12.34 → "12.3", 0.01234 → "0.0123".
    public static func short(_ value: Double) -> String {
        let a = abs(value)
        switch a {
        case 100...: return fixed(value, 0)
        case 10..<100: return fixed(value, 1)
        case 1..<10: return fixed(value, 2)
        case 0.01..<1: return fixed(value, 3)
        case 0: return "0"
        default: return fixed(value, 4)
        }
    }
}
