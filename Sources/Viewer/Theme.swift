import CSDL2

/// An 8-bit RGBA colour.
public struct Colour: Sendable, Hashable {
    public var r: UInt8, g: UInt8, b: UInt8, a: UInt8

    /// An opaque colour unless `a` is given.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255) {
        self.r = r; self.g = g; self.b = b; self.a = a
    }

    var sdl: SDL_Color { SDL_Color(r: r, g: g, b: b, a: a) }
}

/// The viewer's colours: a dark UI so that the gray activation maps carry the contrast.
public enum Theme {
    public static let background = Colour(17, 18, 21)
    public static let panel = Colour(27, 29, 34)
    public static let tileBackground = Colour(40, 43, 50)
    public static let text = Colour(221, 224, 230)
    public static let dimText = Colour(138, 144, 156)
    /// Selection outline and slider knob.
    public static let accent = Colour(255, 179, 0)
    /// Current layer in the list, probability bars.
    public static let highlight = Colour(54, 110, 196)
    public static let warning = Colour(255, 112, 96)
    public static let overlay = Colour(10, 11, 14, 225)
}
