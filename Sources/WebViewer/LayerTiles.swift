import ViewerCore

/// A layer's maps for one frame as the page draws them: one 8-bit gray mosaic (channel `c` at cell
/// `c % columns`, `c / columns`), shrunk by max-pooling when the layer is large so a message stays small.
struct LayerTiles: Sendable {
    var gray: [UInt8]
    var columns: Int
    var rows: Int
    var mapWidth: Int
    var mapHeight: Int
    /// Each map cell covers `stride × stride` activations (1 for most layers).
    var stride: Int
    /// Largest activation of each channel, at full resolution.
    var channelMax: [Float]

    /// Most gray bytes a layer mosaic may take (the largest EfficientNet-Lite0 layer, 32×112×112, is pooled by 2).
    static let maxBytes = 256 * 1024

    init(layer: LayerInfo, values: [Float], perChannel: Bool) {
        let total = layer.channels * layer.height * layer.width
        var stride = 1
        while total / (stride * stride) > Self.maxBytes { stride += 1 }
        let pooled = stride == 1 ? (layer, values) : Self.maxPool(layer, values, stride: stride)
        let mosaic = ActivationMosaic(layer: pooled.0, values: pooled.1, perChannel: perChannel)
        gray = mosaic.gray
        columns = mosaic.atlasColumns
        rows = mosaic.atlasRows
        mapWidth = mosaic.mapWidth
        mapHeight = mosaic.mapHeight
        self.stride = stride
        channelMax = mosaic.channelMax  // max-pooling keeps every channel's maximum
    }

    /// Columns of the mosaic (and of the page's tile grid) for `channels` maps: the same rule as `ActivationMosaic`.
    static func columns(_ channels: Int) -> Int { max(Int(Double(channels).squareRoot().rounded(.up)), 1) }

    /// `stride × stride` max-pooling with partial windows at the edges, so every activation is covered.
    static func maxPool(_ layer: LayerInfo, _ values: [Float], stride s: Int) -> (LayerInfo, [Float]) {
        let h = (layer.height + s - 1) / s, w = (layer.width + s - 1) / s
        var out = [Float](repeating: -.infinity, count: layer.channels * h * w)
        for c in 0..<layer.channels {
            for y in 0..<layer.height {
                let src = (c * layer.height + y) * layer.width, dst = (c * h + y / s) * w
                for x in 0..<layer.width { out[dst + x / s] = max(out[dst + x / s], values[src + x]) }
            }
        }
        return (LayerInfo(name: layer.name, channels: layer.channels, height: h, width: w), out)
    }
}
