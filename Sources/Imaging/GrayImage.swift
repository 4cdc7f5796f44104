/// An 8-bit single-channel image, rows top to bottom; the viewer's form of activation maps.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height` bytes.
    public var pixels: [UInt8]

    /// Wraps existing bytes; `pixels.count` must be `width * height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height,
                     "GrayImage: \(pixels.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Maps a row-major `height`×`width` float map linearly so `low` → 0 and `high` → 255, clamping outside;
    /// a degenerate range (`high <= low`) gives black. NaN maps to 0.
    public init(map: [Float], width: Int, height: Int, low: Float, high: Float) {
        precondition(map.count == width * height, "GrayImage: \(map.count) values for \(width)x\(height)")
        let scale: Float = high > low ? 255 / (high - low) : 0
        let bytes = map.map { v -> UInt8 in
            let t = (v - low) * scale
            return t.isNaN || t <= 0 ? 0 : (t >= 255 ? 255 : UInt8(t + 0.5))
        }
        self.init(width: width, height: height, pixels: bytes)
    }

    /// Maps a float map using its own finite minimum and maximum as the range.
    public init(normalizing map: [Float], width: Int, height: Int) {
        var low = Float.infinity, high = -Float.infinity
        for v in map where v.isFinite { low = min(low, v); high = max(high, v) }
        self.init(map: map, width: width, height: height, low: low, high: high)
    }

    /// The gray values repeated in R, G and B.
    public func rgb() -> RGBImage { colored(.gray) }

    /// The image through a colour map.
    public func colored(_ colorMap: ColorMap) -> RGBImage {
        let table = colorMap.table
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for (i, v) in pixels.enumerated() {
            let t = Int(v) * 3
            out[3 * i] = table[t]; out[3 * i + 1] = table[t + 1]; out[3 * i + 2] = table[t + 2]
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}

/// 256-entry colour maps for single-channel data.
public enum ColorMap: Sendable, CaseIterable {
    /// Black to white.
    case gray
    /// Perceptually uniform dark blue → green → yellow (matplotlib's viridis, from nine anchor colours).
    case viridis
    /// Blue → white → red for signed data mapped with a range symmetric about zero (gradients).
    case diverging

    /// Interleaved RGB for the 256 input levels.
    public var table: [UInt8] {
        switch self {
        case .gray: return (0..<256).flatMap { [UInt8($0), UInt8($0), UInt8($0)] }
        case .viridis: return Self.interpolate(Self.viridisAnchors)
        case .diverging: return Self.interpolate([(59, 76, 192), (255, 255, 255), (180, 4, 38)])
        }
    }

    /// viridis sampled at 0, 1/8, …, 1.
    private static let viridisAnchors: [(Double, Double, Double)] = [
        (68, 1, 84), (70, 50, 126), (59, 82, 139), (44, 114, 142), (33, 145, 140),
        (40, 174, 128), (94, 201, 98), (173, 220, 48), (253, 231, 37),
    ]

    /// Piecewise-linear interpolation of equally spaced anchors into 256 entries.
    private static func interpolate(_ anchors: [(Double, Double, Double)]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(768)
        let segments = Double(anchors.count - 1)
        for level in 0..<256 {
            let position = Double(level) / 255 * segments
            let i = min(Int(position), anchors.count - 2), f = position - Double(i)
            let a = anchors[i], b = anchors[i + 1]
            out.append(UInt8((a.0 + (b.0 - a.0) * f).rounded()))
            out.append(UInt8((a.1 + (b.1 - a.1) * f).rounded()))
            out.append(UInt8((a.2 + (b.2 - a.2) * f).rounded()))
        }
        return out
    }
}
