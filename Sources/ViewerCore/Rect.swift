/// An integer pixel rectangle, origin top-left, as SDL uses.
public struct Rect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    /// The rectangle at (`x`, `y`) of size `width` × `height`.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// An empty rectangle at the origin.
    public static let zero = Rect(x: 0, y: 0, width: 0, height: 0)

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    /// The centre pixel (rounded down).
    public var center: (x: Int, y: Int) { (x + width / 2, y + height / 2) }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// Whether pixel (`px`, `py`) lies inside.
    public func contains(_ px: Int, _ py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    /// This rectangle shrunk by `d` on every side.
    public func inset(by d: Int) -> Rect {
        Rect(x: x + d, y: y + d, width: max(width - 2 * d, 0), height: max(height - 2 * d, 0))
    }

    /// The largest rectangle of aspect `w`:`h` centred inside this one.
    public func fitting(aspectWidth w: Int, height h: Int) -> Rect {
        guard w > 0, h > 0, !isEmpty else { return Rect(x: x, y: y, width: 0, height: 0) }
        let scale = min(Double(width) / Double(w), Double(height) / Double(h))
        let fw = max(Int(Double(w) * scale), 1), fh = max(Int(Double(h) * scale), 1)
        return Rect(x: x + (width - fw) / 2, y: y + (height - fh) / 2, width: fw, height: fh)
    }

    public var description: String { "(\(x),\(y) \(width)x\(height))" }
}
