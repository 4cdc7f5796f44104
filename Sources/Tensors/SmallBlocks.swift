import CPrefetch

/// An inverted-residual block on a small map (expand 1×1 + clamp → depthwise + clamp → project 1×1, plus the
/// residual when there is one) computed a chunk of expanded channels at a time, with channels in the vector lanes.
///
/// Why: on 7×7 maps each of the three convolutions alone is short, and between them the expanded and depthwise values
/// go out to memory in NCHW planes and come back: the depthwise's channel blocks (`ChannelBlocks`) transpose them in
/// and out, and a 49-pixel row fills a vector and a half. Here a chunk's expanded values go from the registers
/// straight into the zero-padded pixel-major buffers `ChannelBlocks.sums` reads, the depthwise results stay in L1,
/// and the project accumulates pixel-major; only the block's output is transposed to NCHW. Expand and project share
/// one tile of 7 pixels × 3 vectors: a step loads three weight vectors and broadcasts seven inputs for 21
/// multiply-adds (seven: EfficientNet's maps are 7·2ⁱ pixels on a side, whole tiles), so their weights are packed once (`pack`).
public enum SmallBlocks {
    /// Vectors of expanded channels in a chunk, and of output channels in a project tile.
    @inlinable public static var vectors: Int { 3 }
    /// Pixels of a tile.
    @inlinable public static var pixels: Int { 7 }

    /// A block's sizes: `geometry` is the depthwise convolution's, `inputs` the expand's input channels, `expanded`
    /// its output channels, `outputs` the project's.
    public struct Shapes: Sendable {
        public let geometry: ChannelBlocks.Geometry
        public let inputs: Int, expanded: Int, outputs: Int, lanes: Int
        public init(geometry: ChannelBlocks.Geometry, inputs: Int, expanded: Int, outputs: Int, lanes: Int) {
            (self.geometry, self.inputs, self.expanded, self.outputs, self.lanes) = (geometry, inputs, expanded, outputs, lanes)
        }
        public var inPlane: Int { geometry.inH * geometry.inW }
        public var outPlane: Int { geometry.outH * geometry.outW }
        public var taps: Int { geometry.kernelH * geometry.kernelW }
        /// Expanded channels in a chunk.
        public var chunkChannels: Int { vectors * lanes }
        public var chunks: Int { (expanded + chunkChannels - 1) / chunkChannels }
        /// A chunk's first channel: the last chunk ends at `expanded`, overlapping the one before (its overlap is
        /// expanded and convolved again but projected once).
        public func start(_ chunk: Int) -> Int { min(chunk * chunkChannels, expanded - chunkChannels) }
        /// Output channels rounded up to whole vectors (the packed weights' extra columns are zero). Project tiles
        /// are three vectors wide, the last one or two where fewer remain.
        public var paddedOutputs: Int { (outputs + lanes - 1) / lanes * lanes }
        /// Output pixels rounded up to whole tiles (the extra rows are computed from the staging slack and dropped).
        public var accumulatorPixels: Int { (outPlane + pixels - 1) / pixels * pixels }
        /// Whether the tiles fit: a whole chunk of channels, a whole tile of input pixels, a whole transpose of
        /// output pixels, and few enough extra accumulator rows for the staging slack.
        public var fit: Bool {
            expanded >= chunkChannels && inPlane >= pixels && outPlane >= lanes
                && accumulatorPixels <= outPlane + ChannelBlocks.Geometry.step
        }

        /// Calls `body(q, c, rows)` for each lanes × lanes tile between NCHW output planes and the pixel-major
        /// accumulator: output pixels q..<q + lanes (the last tile overlapping the one before), output channels
        /// c..<c + rows of the real ones.
        @inlinable @inline(__always)
        func transposeTiles(_ body: (Int, Int, Int) -> Void) {
            ChannelBlocks.tiles(outPlane, lanes) { q in
                var c = 0
                while c < outputs {
                    body(q, c, min(lanes, outputs - c))
                    c += lanes
                }
            }
        }

        /// Floats of each packed array.
        public var expandWeightFloats: Int { chunks * inputs * chunkChannels }
        public var expandBiasFloats: Int { chunks * chunkChannels }
        public var depthwiseWeightFloats: Int { chunks * chunkChannels * taps }
        public var depthwiseBiasFloats: Int { chunks * chunkChannels }
        public var projectWeightFloats: Int { chunks * chunkChannels * paddedOutputs }
        public var projectBiasFloats: Int { paddedOutputs }
        public var packedFloats: Int {
            expandWeightFloats + expandBiasFloats + depthwiseWeightFloats + depthwiseBiasFloats + projectWeightFloats + projectBiasFloats
        }
        /// The expand's tiles of input pixels (the last overlaps the one before).
        public var inputTiles: Int { (inPlane + pixels - 1) / pixels }
        /// How the expand walks its tiles: blocks of `tiles` tiles, each in passes of `step` input channels, so that a
        /// pass's weights and inputs (up to 24 KB) stay in L1 while each of its tiles reads them; tiles keep their sums
        /// between passes. Small planes are one block in several passes; large ones (28×28) blocks of one pass each.
        public var expandBlocking: (tiles: Int, step: Int) {
            let budget = passFloats, passes = max(1, (inputs * (inPlane + chunkChannels) + budget - 1) / budget)
            let step = (inputs + passes - 1) / passes
            if passes == 1 || step >= 16 { return (inputTiles, step) }
            return (max(1, (budget / inputs - chunkChannels) / pixels), inputs)
        }
        /// Floats of one worker's buffers: three padded buffers (zero where padding stands), one staging buffer,
        /// three depthwise outputs, the expand's sums, the accumulator, and a word that says the worker ran.
        public var slotFloats: Int {
            vectors * geometry.paddedFloats(lanes: lanes) + (1 + vectors) * geometry.stagingFloats(lanes: lanes)
                + inputTiles * pixels * chunkChannels + accumulatorPixels * paddedOutputs + lanes
        }
    }

    /// The packed weights and biases (`pack`), in `Shapes`' order: per chunk k-major expand weights and their
    /// biases; per chunk and vector the depthwise filters tap-major and their biases; per chunk and tile of outputs
    /// the project weights, a row of the tile's outputs per chunk channel, and their biases. Each array is read in
    /// the order it is stored, one stream the hardware prefetcher follows (the weights are cold at every pass).
    public struct Packed {
        public let expandWeights: UnsafePointer<Float>, expandBias: UnsafePointer<Float>
        public let depthwiseWeights: UnsafePointer<Float>, depthwiseBias: UnsafePointer<Float>
        public let projectWeights: UnsafePointer<Float>, projectBias: UnsafePointer<Float>
        public init(_ s: Shapes, at p: UnsafePointer<Float>) {
            expandWeights = p
            expandBias = expandWeights + s.expandWeightFloats
            depthwiseWeights = expandBias + s.expandBiasFloats
            depthwiseBias = depthwiseWeights + s.depthwiseWeightFloats
            projectWeights = depthwiseBias + s.depthwiseBiasFloats
            projectBias = projectWeights + s.projectWeightFloats
        }
    }

    /// Packs ONNX weights (expand [expanded, inputs], depthwise [expanded, taps], project [outputs, expanded], row-major)
    /// and biases (nil: zero) into `p`, `s.packedFloats` floats.
    public static func pack(_ s: Shapes, expandWeights we: UnsafePointer<Float>, expandBias be: UnsafePointer<Float>?,
                            depthwiseWeights wd: UnsafePointer<Float>, depthwiseBias bd: UnsafePointer<Float>?,
                            projectWeights wp: UnsafePointer<Float>, projectBias bp: UnsafePointer<Float>?,
                            into p: UnsafeMutablePointer<Float>) {
        let r = s.chunkChannels, k = s.inputs, taps = s.taps, o = s.paddedOutputs
        let ew = p, eb = ew + s.expandWeightFloats, dw = eb + s.expandBiasFloats, db = dw + s.depthwiseWeightFloats
        let pw = db + s.depthwiseBiasFloats, pb = pw + s.projectWeightFloats
        for chunk in 0..<s.chunks {
            let c0 = s.start(chunk)
            for i in 0..<k { for j in 0..<r { ew[(chunk * k + i) * r + j] = we[(c0 + j) * k + i] } }
            for j in 0..<r { eb[chunk * r + j] = be?[c0 + j] ?? 0 }
            for v in 0..<vectors {
                let block = chunk * vectors + v, first = c0 + v * s.lanes
                for t in 0..<taps { for j in 0..<s.lanes { dw[(block * taps + t) * s.lanes + j] = wd[(first + j) * taps + t] } }
                for j in 0..<s.lanes { db[block * s.lanes + j] = bd?[first + j] ?? 0 }
            }
        }
        for chunk in 0..<s.chunks {
            let c0 = s.start(chunk)
            packOutputTiles(wp, rowLength: s.expanded, inputs: c0..<c0 + r, outputs: s.outputs, paddedOutputs: o, tile: r,
                            into: pw + chunk * r * o)
        }
        for j in 0..<o { pb[j] = j < s.outputs ? bp?[j] ?? 0 : 0 }
    }

    /// Packs ONNX 1×1 weights w [outputs, rowLength] (row-major), input channels `inputs` only, for tiles of `tile` output
    /// channels (the last narrower where fewer remain): per tile, a row of the tile's outputs per input channel, zero
    /// past `outputs`. Tile t's rows start at t·tile·inputs.count: the tiles before it are `tile` wide.
    public static func packOutputTiles(_ w: UnsafePointer<Float>, rowLength: Int, inputs: Range<Int>, outputs: Int, paddedOutputs: Int,
                                       tile: Int, into p: UnsafeMutablePointer<Float>) {
        for first in stride(from: 0, to: paddedOutputs, by: tile) {
            let width = min(tile, paddedOutputs - first)
            for (c, input) in inputs.enumerated() {
                for j in 0..<width {
                    let out = first + j
                    p[first * inputs.count + c * width + j] = out < outputs ? w[out * rowLength + input] : 0
                }
            }
        }
    }

    /// Input channels whose weights (and inputs) a pass of the expand or of `PooledPointwise` reads: about 24 KB, so that
    /// they stay in L1 while each pixel tile reads them (16 and 40 KB were slower, BENCHMARKS.md).
    @inlinable static var passFloats: Int { 24 * 1024 / 4 }

    /// One image's block: y[outputs][outPlane] = project(clamp(depthwise(clamp(expand(x))))) (+ residual, NCHW
    /// like y), x NCHW [inputs][inPlane]. `slots` holds `maxSlots` workers' buffers of `s.slotFloats`, zeroed once
    /// before the first call (the padding must read zero; only interiors are written). `s.fit` must hold.
    @inlinable
    public static func run<V: KernelVector>(_: V.Type, _ s: Shapes, _ p: Packed, x: UnsafePointer<Float>,
                                            residual: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                                            slots: UnsafeMutablePointer<Float>, maxSlots: Int,
                                            expandClamp: (low: Float, high: Float), depthwiseClamp: (low: Float, high: Float)) {
        precondition(V.lanes == s.lanes && s.fit, "SmallBlocks.run: shapes do not fit")
        let g = s.geometry, l = s.lanes, padded = g.paddedFloats(lanes: l), staging = g.stagingFloats(lanes: l)
        let o = s.paddedOutputs, accFloats = s.accumulatorPixels * o
        func slot(_ i: Int) -> UnsafeMutablePointer<Float> { slots + i * s.slotFloats }
        func sums(_ i: Int) -> UnsafeMutablePointer<Float> { slot(i) + vectors * padded + (1 + vectors) * staging }
        func accumulator(_ i: Int) -> UnsafeMutablePointer<Float> { sums(i) + s.inputTiles * pixels * s.chunkChannels }
        // Which workers ran: Parallel may run every chunk on the calling thread when its pool is busy.
        for i in 0..<maxSlots { accumulator(i)[accFloats] = 0 }
        Parallel.forChunks(s.chunks, maxChunks: maxSlots) { range, worker in
            let base = slot(worker), acc = accumulator(worker)
            acc[accFloats] = 1
            start(V.self, s, acc: acc, bias: range.lowerBound == 0 ? p.projectBias : nil, residual: range.lowerBound == 0 ? residual : nil)
            let clamp = (low: V(repeating: depthwiseClamp.low), high: V(repeating: depthwiseClamp.high))
            for chunk in range {
                let c0 = s.start(chunk)
                expand(V.self, s, x: x, weights: p.expandWeights + chunk * s.inputs * s.chunkChannels,
                       bias: p.expandBias + chunk * s.chunkChannels, sums: sums(worker), padded: base,
                       low: expandClamp.low, high: expandClamp.high)
                let out = base + vectors * padded + staging
                for v in 0..<vectors {
                    let filters = UnsafeMutablePointer(mutating: p.depthwiseWeights + (chunk * vectors + v) * s.taps * l)
                    let biases = UnsafeMutablePointer(mutating: p.depthwiseBias + (chunk * vectors + v) * l)
                    let b = ChannelBlocks.Buffers(padded: base + v * padded, staging: out - staging, clamped: out + v * staging,
                                                  tile: out - staging, filters: filters, biases: biases)
                    switch g.stride {
                    case 1: ChannelBlocks.sums(V.self, g, b, clamp: clamp, stride: 1)
                    case 2: ChannelBlocks.sums(V.self, g, b, clamp: clamp, stride: 2)
                    default: ChannelBlocks.sums(V.self, g, b, clamp: clamp, stride: g.stride)
                    }
                }
                // The overlap of a last chunk that overlaps the one before was projected with it.
                let skip = chunk * s.chunkChannels - c0
                project(V.self, s, from: out, staging: staging, channels: skip..<s.chunkChannels,
                        weights: p.projectWeights + chunk * s.chunkChannels * o, acc: acc)
            }
        }
        let acc = accumulator(0)
        for i in 1..<max(maxSlots, 1) where accumulator(i)[accFloats] == 1 {
            let other = UnsafeRawPointer(accumulator(i)), sum = UnsafeMutableRawPointer(acc)
            var b = 0
            while b < accFloats &* 4 {
                (V.load(sum, b) + V.load(other, b)).store(sum, b)
                b &+= V.bytes
            }
        }
        s.transposeTiles { q, c, rows in V.transpose(acc + q * o + c, o, l, y + c * s.outPlane + q, s.outPlane, rows) }
    }

    /// The accumulator's first contents: bias + residual (transposed to pixel-major) on the output pixels, zero
    /// elsewhere; zero throughout for workers after the first.
    @inlinable @inline(__always)
    static func start<V: KernelVector>(_: V.Type, _ s: Shapes, acc: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                                       residual: UnsafePointer<Float>?) {
        let l = s.lanes, o = s.paddedOutputs
        acc.update(repeating: 0, count: s.accumulatorPixels * o)
        if let residual {
            s.transposeTiles { q, c, rows in V.transpose(residual + c * s.outPlane + q, s.outPlane, rows, acc + q * o + c, o, l) }
        }
        guard let bias else { return }
        let a = UnsafeMutableRawPointer(acc), b = UnsafeRawPointer(bias)
        for q in 0..<s.outPlane {
            var c = 0
            while c < o {
                (V.load(a, (q * o + c) * 4) + V.load(b, c * 4)).store(a, (q * o + c) * 4)
                c += l
            }
        }
    }

    /// The chunk's expand: bias + weights · x for every input pixel, clamped, each pixel's three vectors into its
    /// place inside the three padded buffers. The last tile overlaps the one before. Blocks of tiles in passes over
    /// input channels (`expandBlocking`); between passes each tile's sums wait in `sums`.
    @inlinable @inline(__always)
    static func expand<V: KernelVector>(_: V.Type, _ s: Shapes, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                        bias: UnsafePointer<Float>, sums: UnsafeMutablePointer<Float>,
                                        padded: UnsafeMutablePointer<Float>, low: Float, high: Float) {
        let g = s.geometry, vb = V.bytes, plane = s.inPlane, bufferBytes = g.paddedFloats(lanes: s.lanes) * 4
        let b = UnsafeRawPointer(bias), lo = V(repeating: low), hi = V(repeating: high)
        let out = UnsafeMutableRawPointer(padded), held = UnsafeMutableRawPointer(sums)
        let rowBytes = s.chunkChannels * 4, tileBytes = pixels * rowBytes, (blockTiles, step) = s.expandBlocking
        for first in stride(from: 0, to: s.inputTiles, by: blockTiles) {
            let tiles = first..<min(s.inputTiles, first + blockTiles)
            var k0 = 0
            while k0 < s.inputs {
                let count = min(step, s.inputs - k0), last = k0 + count == s.inputs
                // The next pass's weights follow this pass's (the next chunk's first, after the last pass).
                let next = UnsafeRawPointer(weights + (k0 + count) * s.chunkChannels), nextBytes = step * rowBytes
                for tile in tiles {
                    prefetch(next, bytes: nextBytes, part: tile - first, of: tiles.count)
                    let q = min(tile * pixels, plane - pixels)
                    var t = k0 == 0 ? Tile<V, Three>(V.load(b, 0), V.load(b, vb), V.load(b, 2 * vb))
                        : Tile<V, Three>(loading: held, tile * tileBytes, rowBytes: rowBytes)
                    t.accumulate(count: count, from: x + k0 * plane + q, step: plane, pixelStride: 1,
                                 weights: UnsafeRawPointer(weights + k0 * s.chunkChannels), weightStride: rowBytes)
                    guard last else {
                        t.store(held, tile * tileBytes, rowBytes: rowBytes)
                        continue
                    }
                    var iy = q / g.inW, ix = q - iy * g.inW
                    t.forEachPixel { i, u, v, w in
                        let at = ((iy + g.padTop) * g.paddedW + ix + g.padLeft) * vb
                        u.clamped(lo, hi).store(out, at)
                        v.clamped(lo, hi).store(out, bufferBytes + at)
                        w.clamped(lo, hi).store(out, 2 * bufferBytes + at)
                        ix += 1
                        if ix == g.inW { ix = 0; iy += 1 }
                    }
                }
                k0 += count
            }
        }
    }

    /// acc[pixel][output] += Σ over `channels` of the chunk's depthwise outputs (three pixel-major buffers `staging`
    /// floats apart, from `from`) times `weights` (the chunk's, per output tile a row per chunk channel).
    @inlinable @inline(__always)
    static func project<V: KernelVector>(_: V.Type, _ s: Shapes, from: UnsafePointer<Float>, staging: Int, channels: Range<Int>,
                                         weights: UnsafePointer<Float>, acc: UnsafeMutablePointer<Float>) {
        let o = s.paddedOutputs, r = s.chunkChannels
        // Output tiles outer: a tile's weights (48 rows of up to 3 vectors) then stay in L1 while every pixel reads them.
        var c = 0
        while c < o {
            let w = weights + c * r
            switch min(r, o - c) / s.lanes {
            case 3: projectTile(V.self, Three.self, s, from: from, staging: staging, channels: channels, weights: w, acc: acc + c)
            case 2: projectTile(V.self, Two.self, s, from: from, staging: staging, channels: channels, weights: w, acc: acc + c)
            default: projectTile(V.self, One.self, s, from: from, staging: staging, channels: channels, weights: w, acc: acc + c)
            }
            c += r
        }
    }

    /// One tile of `W.count` output vectors for every pixel: weights a row of W.count vectors per chunk channel, acc at
    /// the tile's first output.
    @inlinable @inline(__always)
    static func projectTile<V: KernelVector, W: TileWidth>(_: V.Type, _: W.Type, _ s: Shapes, from: UnsafePointer<Float>, staging: Int,
                                                           channels: Range<Int>, weights: UnsafePointer<Float>,
                                                           acc: UnsafeMutablePointer<Float>) {
        let l = s.lanes, rowBytes = s.paddedOutputs * 4, width = W.count * l
        let a = UnsafeMutableRawPointer(acc)
        // The packed weights are one stream: the next tiles' (or the next chunk's) follow this one's. Asking for the
        // tile after next a part per pixel tile has it in L2 in time (the next one was asked for during the tile
        // before: on 7×7 maps, one tile ahead was 2 % slower a block).
        let r = s.chunkChannels, ahead = UnsafeRawPointer(weights + r * width + r * r), aheadBytes = r * r * 4
        let groups = s.accumulatorPixels / pixels
        var q = 0
        while q < s.accumulatorPixels {
            prefetch(ahead, bytes: aheadBytes, part: q / pixels, of: groups)
            let at = q * rowBytes
            var t = Tile<V, W>(loading: a, at, rowBytes: rowBytes)
            // Channel j of the chunk is lane j % l of buffer j / l.
            var j = channels.lowerBound
            while j < channels.upperBound {
                let v = j / l, run = min(channels.upperBound, (v + 1) * l) - j
                t.accumulate(count: run, from: from + v * staging + q * l + j % l, step: 1, pixelStride: l,
                             weights: UnsafeRawPointer(weights + j * width), weightStride: width * 4)
                j += run
            }
            t.store(a, at, rowBytes: rowBytes)
            q += pixels
        }
    }

    /// Asks for the cache lines of part `part` of `n` equal parts of `bytes` bytes at `base` (a prefetch never faults,
    /// so the range may run past the array).
    @inlinable @inline(__always)
    static func prefetch(_ base: UnsafeRawPointer, bytes: Int, part: Int, of n: Int) {
        var b = bytes * part / n & ~63
        let end = bytes * (part + 1) / n
        while b < end {
            deepvis_prefetch(base + b)
            b += 64
        }
    }

    /// A tile's width in vectors, as a type, so that each width is its own specialization with no branch inside.
    public protocol TileWidth { static var count: Int { get } }
    public enum One: TileWidth { @inlinable public static var count: Int { 1 } }
    public enum Two: TileWidth { @inlinable public static var count: Int { 2 } }
    public enum Three: TileWidth { @inlinable public static var count: Int { 3 } }

    /// A tile's accumulators: 7 pixels × `W.count` vectors (the variables past the width are carried but never used).
    @usableFromInline
    struct Tile<V: KernelVector, W: TileWidth> {
        @usableFromInline var a0: V, a1: V, a2: V, b0: V, b1: V, b2: V, c0: V, c1: V, c2: V, d0: V, d1: V, d2: V
        @usableFromInline var e0: V, e1: V, e2: V, f0: V, f1: V, f2: V, g0: V, g1: V, g2: V

        /// Every pixel starting from the same vectors.
        @inlinable @inline(__always)
        init(_ u: V, _ v: V, _ w: V) {
            (a0, a1, a2, b0, b1, b2, c0, c1, c2, d0, d1, d2) = (u, v, w, u, v, w, u, v, w, u, v, w)
            (e0, e1, e2, f0, f1, f2, g0, g1, g2) = (u, v, w, u, v, w, u, v, w)
        }

        /// Pixel i's vectors from `p + at + i·rowBytes`.
        @inlinable @inline(__always)
        init(loading p: UnsafeRawPointer, _ at: Int, rowBytes r: Int) {
            let vb = V.bytes
            @inline(__always) func row(_ i: Int) -> (V, V, V) {
                let b = at &+ i &* r
                return (V.load(p, b), W.count > 1 ? V.load(p, b &+ vb) : V(), W.count > 2 ? V.load(p, b &+ 2 &* vb) : V())
            }
            (a0, a1, a2) = row(0); (b0, b1, b2) = row(1); (c0, c1, c2) = row(2); (d0, d1, d2) = row(3)
            (e0, e1, e2) = row(4); (f0, f1, f2) = row(5); (g0, g1, g2) = row(6)
        }

        /// Stores pixel i's vectors to `p + at + i·rowBytes`.
        @inlinable @inline(__always)
        func store(_ p: UnsafeMutableRawPointer, _ at: Int, rowBytes r: Int) {
            forEachPixel { i, u, v, w in
                let b = at &+ i &* r
                u.store(p, b)
                if W.count > 1 { v.store(p, b &+ V.bytes) }
                if W.count > 2 { w.store(p, b &+ 2 &* V.bytes) }
            }
        }

        @inlinable @inline(__always)
        func forEachPixel(_ body: (Int, V, V, V) -> Void) {
            body(0, a0, a1, a2); body(1, b0, b1, b2); body(2, c0, c1, c2); body(3, d0, d1, d2)
            body(4, e0, e1, e2); body(5, f0, f1, f2); body(6, g0, g1, g2)
        }

        /// Adds Σ_i src[i·step + pixel·pixelStride] · (W.count vectors at weights + i·weightStride) for i < count.
        @inlinable @inline(__always)
        mutating func accumulate(count: Int, from src: UnsafePointer<Float>, step: Int, pixelStride ps: Int,
                                 weights: UnsafeRawPointer, weightStride: Int) {
            let vb = V.bytes, two = W.count > 1, three = W.count > 2
            var sp = src, wp = weights
            for _ in 0..<count {
                let w0 = V.load(wp, 0), w1 = two ? V.load(wp, vb) : V(), w2 = three ? V.load(wp, 2 &* vb) : V()
                @inline(__always) func add(_ x: Float, _ u: inout V, _ v: inout V, _ w: inout V) {
                    let x = V(repeating: x)
                    u = u.fma(w0, x)
                    if two { v = v.fma(w1, x) }
                    if three { w = w.fma(w2, x) }
                }
                add(sp[0], &a0, &a1, &a2)
                add(sp[ps], &b0, &b1, &b2)
                add(sp[2 &* ps], &c0, &c1, &c2)
                add(sp[3 &* ps], &d0, &d1, &d2)
                add(sp[4 &* ps], &e0, &e1, &e2)
                add(sp[5 &* ps], &f0, &f1, &f2)
                add(sp[6 &* ps], &g0, &g1, &g2)
                sp += step
                wp += weightStride
            }
        }
    }
}
