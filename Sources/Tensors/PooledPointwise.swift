import CPrefetch

/// A 1×1 convolution + clamp whose only reader is a global average pool (a classifier's head, EfficientNet's 320 → 1280
/// on 7×7), computed as one step that never writes the convolution's map: each output's clamped values are summed
/// over the pixels as they leave the registers.
///
/// Why: the head's weights (1.6 MB) are cold at every pass, and `PointwiseKernel` reads them once per strip of
/// pixels. Here output channels are in the lanes (`SmallBlocks`' tile of 7 pixels × up to 3 vectors, inputs broadcast
/// from the NCHW planes), the weights are packed once in the order they are read, each 48-output tile's weights in
/// passes over input channels that fit L1, and the next pass's are asked for ahead.
public enum PooledPointwise {
    /// A head's sizes: `inputs` and `outputs` channels, `plane` pixels per channel, `lanes` floats per vector.
    public struct Shapes: Sendable {
        public let inputs: Int, outputs: Int, plane: Int, lanes: Int
        public init(inputs: Int, outputs: Int, plane: Int, lanes: Int) {
            (self.inputs, self.outputs, self.plane, self.lanes) = (inputs, outputs, plane, lanes)
        }
        /// Output channels of a full tile.
        public var tileChannels: Int { SmallBlocks.vectors * lanes }
        /// Output channels rounded up to whole vectors (the packed weights' extra columns are zero).
        public var paddedOutputs: Int { (outputs + lanes - 1) / lanes * lanes }
        public var tiles: Int { (paddedOutputs + tileChannels - 1) / tileChannels }
        /// Tiles of 7 pixels (the last overlaps the one before; its overlap is summed once).
        public var pixelTiles: Int { (plane + SmallBlocks.pixels - 1) / SmallBlocks.pixels }
        /// Input channels per pass: a full tile's weights for them take at most 24 KB.
        public var step: Int { max(1, min(inputs, SmallBlocks.passFloats / tileChannels)) }
        /// Whether the tile fits: a whole tile of pixels.
        public var fit: Bool { plane >= SmallBlocks.pixels && inputs >= 1 && outputs >= 1 }
        public var packedFloats: Int { inputs * paddedOutputs + paddedOutputs }
        /// Floats of one worker's buffer: every pixel tile's sums between passes.
        public var slotFloats: Int { pixelTiles * SmallBlocks.pixels * tileChannels }
    }

    /// Packs ONNX weights [outputs, inputs] (row-major) and the bias (nil: zero) into `p`, `s.packedFloats` floats: per
    /// tile of outputs, a row of the tile's outputs per input channel; then the bias, padded.
    public static func pack(_ s: Shapes, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into p: UnsafeMutablePointer<Float>) {
        let o = s.paddedOutputs
        SmallBlocks.packOutputTiles(w, rowLength: s.inputs, inputs: 0..<s.inputs, outputs: s.outputs, paddedOutputs: o,
                                    tile: s.tileChannels, into: p)
        for j in 0..<o { p[s.inputs * o + j] = j < s.outputs ? bias?[j] ?? 0 : 0 }
    }

    /// One image: y[c] = mean over pixels of clamp(bias[c] + Σ_k w[c][k]·x[k][pixel]), x NCHW [inputs][plane].
    /// `slots` holds `maxSlots` workers' buffers of `s.slotFloats`. `s.fit` must hold.
    @inlinable
    public static func run<V: KernelVector>(_: V.Type, _ s: Shapes, packed: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                            y: UnsafeMutablePointer<Float>, slots: UnsafeMutablePointer<Float>, maxSlots: Int,
                                            clamp: (low: Float, high: Float)) {
        precondition(V.lanes == s.lanes && s.fit, "PooledPointwise.run: shapes do not fit")
        Parallel.forChunks(s.tiles, maxChunks: maxSlots) { range, worker in
            let sums = slots + worker * s.slotFloats
            for tile in range {
                let first = tile * s.tileChannels
                let weights = packed + first * s.inputs, bias = packed + s.inputs * s.paddedOutputs + first
                switch min(s.tileChannels, s.paddedOutputs - first) / s.lanes {
                case 3: pooledTile(V.self, SmallBlocks.Three.self, s, x: x, weights: weights, bias: bias, sums: sums, clamp: clamp, y: y, first: first)
                case 2: pooledTile(V.self, SmallBlocks.Two.self, s, x: x, weights: weights, bias: bias, sums: sums, clamp: clamp, y: y, first: first)
                default: pooledTile(V.self, SmallBlocks.One.self, s, x: x, weights: weights, bias: bias, sums: sums, clamp: clamp, y: y, first: first)
                }
            }
        }
    }

    /// One tile of `W.count` output vectors starting at output `first`: its weights a row of W.count vectors per input.
    @inlinable @inline(__always)
    static func pooledTile<V: KernelVector, W: SmallBlocks.TileWidth>(_: V.Type, _: W.Type, _ s: Shapes, x: UnsafePointer<Float>,
                                                                       weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                                                       sums: UnsafeMutablePointer<Float>, clamp: (low: Float, high: Float),
                                                                       y: UnsafeMutablePointer<Float>, first: Int) {
        let vb = V.bytes, width = W.count * s.lanes, rowBytes = width * 4, tileBytes = SmallBlocks.pixels * rowBytes
        let b = UnsafeRawPointer(bias), held = UnsafeMutableRawPointer(sums)
        let lo = V(repeating: clamp.low), hi = V(repeating: clamp.high)
        var pooled = (V(), V(), V())
        var k0 = 0
        while k0 < s.inputs {
            let count = min(s.step, s.inputs - k0), last = k0 + count == s.inputs
            // The next pass's weights follow this pass's (the next tile's first, after the last pass).
            let next = UnsafeRawPointer(weights + (k0 + count) * width), nextBytes = s.step * rowBytes
            for tile in 0..<s.pixelTiles {
                SmallBlocks.prefetch(next, bytes: nextBytes, part: tile, of: s.pixelTiles)
                let q = min(tile * SmallBlocks.pixels, s.plane - SmallBlocks.pixels)
                var t = k0 == 0
                    ? SmallBlocks.Tile<V, W>(V.load(b, 0), W.count > 1 ? V.load(b, vb) : V(), W.count > 2 ? V.load(b, 2 * vb) : V())
                    : SmallBlocks.Tile<V, W>(loading: held, tile * tileBytes, rowBytes: rowBytes)
                t.accumulate(count: count, from: x + k0 * s.plane + q, step: s.plane, pixelStride: 1,
                             weights: UnsafeRawPointer(weights + k0 * width), weightStride: rowBytes)
                guard last else {
                    t.store(held, tile * tileBytes, rowBytes: rowBytes)
                    continue
                }
                // The last tile's pixels before tile · 7 were summed with the tile before.
                let fresh = tile * SmallBlocks.pixels - q
                t.forEachPixel { i, u, v, w in
                    guard i >= fresh else { return }
                    pooled.0 = pooled.0 + u.clamped(lo, hi)
                    if W.count > 1 { pooled.1 = pooled.1 + v.clamped(lo, hi) }
                    if W.count > 2 { pooled.2 = pooled.2 + w.clamped(lo, hi) }
                }
            }
            k0 += count
        }
        let scale = V(repeating: 1 / Float(s.plane))
        // Only the real outputs: the padded lanes past them are not y's.
        @inline(__always) func store(_ sum: V, _ v: Int) {
            let mean = V().fma(sum, scale), c0 = first + v * s.lanes
            for j in 0..<min(s.lanes, s.outputs - c0) { y[c0 + j] = mean[j] }
        }
        store(pooled.0, 0)
        if W.count > 1 { store(pooled.1, 1) }
        if W.count > 2 { store(pooled.2, 2) }
    }
}
