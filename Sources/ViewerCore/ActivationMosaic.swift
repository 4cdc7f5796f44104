/// A layer's channels as 8-bit gray maps packed into one atlas image, ready for a single texture upload.
///
/// Channel `c` sits at atlas cell (`c % atlasColumns`, `c / atlasColumns`), each cell `mapWidth` × `mapHeight`;
/// the atlas is kept near-square so it stays within texture size limits for any layer.
public struct ActivationMosaic: Sendable, Equatable {
    public let mapWidth: Int
    public let mapHeight: Int
    public let channels: Int
    public let atlasColumns: Int
    public let atlasRows: Int
    /// `atlasWidth × atlasHeight` gray levels, row-major.
    public private(set) var gray: [UInt8]
    /// Largest activation of each channel (for the hover tooltip and the unit pane title).
    public private(set) var channelMax: [Float]

    public var atlasWidth: Int { atlasColumns * mapWidth }
    public var atlasHeight: Int { atlasRows * mapHeight }

    /// Maps `values` (C×H×W of `layer`) to gray: one range for the whole layer, or one per channel.
    ///
    /// Per layer: `range` if given (a running range from the pipeline), else this frame's min…max. Values map
    /// linearly to 0…255 and clamp; a flat range maps to black so a dead channel looks dead.
    public init(layer: LayerInfo, values: [Float], perChannel: Bool, range: ClosedRange<Float>? = nil) {
        let plane = layer.height * layer.width
        precondition(values.count == layer.channels * plane,
                     "ActivationMosaic: \(values.count) values for \(layer.channels)x\(layer.height)x\(layer.width)")
        mapWidth = layer.width
        mapHeight = layer.height
        channels = layer.channels
        atlasColumns = max(Int(Double(layer.channels).squareRoot().rounded(.up)), 1)
        atlasRows = (layer.channels + atlasColumns - 1) / atlasColumns
        gray = [UInt8](repeating: 0, count: atlasColumns * layer.width * atlasRows * layer.height)
        channelMax = [Float](repeating: 0, count: layer.channels)
        var channelMin = [Float](repeating: 0, count: layer.channels)
        values.withUnsafeBufferPointer { v in
            for c in 0..<layer.channels {
                let slice = v[(c * plane)..<((c + 1) * plane)]
                channelMin[c] = slice.min() ?? 0
                channelMax[c] = slice.max() ?? 0
            }
        }
        let layerRange = range ?? ((channelMin.min() ?? 0)...(channelMax.max() ?? 0))
        for c in 0..<layer.channels {
            let r = perChannel ? channelMin[c]...channelMax[c] : layerRange
            fill(channel: c, from: values, range: r)
        }
    }

    private mutating func fill(channel c: Int, from values: [Float], range: ClosedRange<Float>) {
        let plane = mapWidth * mapHeight
        let span = range.upperBound - range.lowerBound
        let scale: Float = span > 1e-12 ? 255 / span : 0
        let lo = range.lowerBound
        let cellX = (c % atlasColumns) * mapWidth, cellY = (c / atlasColumns) * mapHeight
        let stride = atlasWidth
        values.withUnsafeBufferPointer { v in
            gray.withUnsafeMutableBufferPointer { g in
                for y in 0..<mapHeight {
                    let src = c * plane + y * mapWidth, dst = (cellY + y) * stride + cellX
                    for x in 0..<mapWidth {
                        let level = ((v[src + x] - lo) * scale).rounded()
                        g[dst + x] = UInt8(min(max(level, 0), 255))
                    }
                }
            }
        }
    }

    /// The atlas rectangle holding channel `c` (source rectangle for drawing its tile).
    public func atlasRect(of c: Int) -> Rect {
        Rect(x: (c % atlasColumns) * mapWidth, y: (c / atlasColumns) * mapHeight, width: mapWidth, height: mapHeight)
    }

    /// The gray level of channel `c` at map position (`x`, `y`).
    public func level(channel c: Int, x: Int, y: Int) -> UInt8 {
        let r = atlasRect(of: c)
        return gray[(r.y + y) * atlasWidth + r.x + x]
    }
}
