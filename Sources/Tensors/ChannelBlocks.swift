/// Depthwise convolution of small planes with channels in the vector lanes: one vector is one pixel of `V.lanes`
/// channels, so a tap is one multiply-add per output pixel whatever the plane's width, and no lane is lost to a
/// plane's edge (`FlatPlanes` spends four vectors on a 7×7 plane's 49 positions, plus a filter permutation, a copy
/// and column masks per channel). The graph stays NCHW: each block of channels is transposed, lanes × lanes tiles at
/// a time, into a zero-padded pixel-major buffer, convolved there and transposed back; on planes that stay in L1
/// that costs less than the lanes it saves.
public enum ChannelBlocks {
    /// A block's shapes, in pixels. The padded buffer is `paddedH` rows of `paddedW` pixels, then `slackPixels`
    /// whose reads only feed discarded outputs; a staging buffer holds the output plane's pixels, then one step.
    public struct Geometry: Sendable {
        public let inH: Int, inW: Int, outH: Int, outW: Int
        public let kernelH: Int, kernelW: Int, stride: Int, padTop: Int, padLeft: Int
        public let paddedH: Int, paddedW: Int
        public init(inH: Int, inW: Int, outH: Int, outW: Int, kernelH: Int, kernelW: Int, stride: Int,
                    padTop: Int, padLeft: Int, padBottom: Int, padRight: Int) {
            (self.inH, self.inW, self.outH, self.outW) = (inH, inW, outH, outW)
            (self.kernelH, self.kernelW, self.stride, self.padTop, self.padLeft) = (kernelH, kernelW, stride, padTop, padLeft)
            paddedH = max(inH + padTop + padBottom, (outH - 1) * stride + kernelH)
            paddedW = max(inW + padLeft + padRight, (outW - 1) * stride + kernelW)
        }
        /// Output pixels per step along a row: eight independent sums hide the multiply-add latency.
        public static var step: Int { 8 }
        /// A row narrower than a step is computed as a whole step, which reads up to this many pixels past the last
        /// padded row.
        public var slackPixels: Int { Self.step * stride + kernelW }
        /// Whether the tiles fit: both planes hold at least `lanes` pixels and each filter at least `lanes` taps.
        public func fits(lanes: Int) -> Bool { inH * inW >= lanes && outH * outW >= lanes && kernelH * kernelW >= lanes }
        /// Floats of the padded buffer and of one staging buffer, for vectors of `lanes`.
        public func paddedFloats(lanes: Int) -> Int { (paddedH * paddedW + slackPixels) * lanes }
        public func stagingFloats(lanes: Int) -> Int { (outH * outW + Self.step) * lanes }
    }

    /// Where a block's buffers are: `padded` zero wherever padding stands (only its interior is written); `tile`
    /// holds lanes × lanes floats, `filters` kernelH·kernelW vectors, `biases` one.
    public struct Buffers {
        public let padded: UnsafeMutablePointer<Float>, staging: UnsafeMutablePointer<Float>, clamped: UnsafeMutablePointer<Float>
        public let tile: UnsafeMutablePointer<Float>, filters: UnsafeMutablePointer<Float>, biases: UnsafeMutablePointer<Float>
        public init(padded: UnsafeMutablePointer<Float>, staging: UnsafeMutablePointer<Float>, clamped: UnsafeMutablePointer<Float>,
                    tile: UnsafeMutablePointer<Float>, filters: UnsafeMutablePointer<Float>, biases: UnsafeMutablePointer<Float>) {
            (self.padded, self.staging, self.clamped, self.tile, self.filters, self.biases) = (padded, staging, clamped, tile, filters, biases)
        }
    }

    /// One block of 1...`V.lanes` channels (`g.fits(lanes:)`): y = bias + w ⋆ x into `preActivation` and its clamp to
    /// low...high into `activated` (either may be nil). x, w, bias and the outputs point at the block's first
    /// channel; planes are contiguous (inH·inW floats in, outH·outW out), filters kernelH·kernelW floats each.
    @inlinable @inline(__always)
    public static func convolve<V: KernelVector>(_: V.Type, _ g: Geometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                                 bias: UnsafePointer<Float>?, channels: Int, _ b: Buffers,
                                                 preActivation: UnsafeMutablePointer<Float>?, activated: UnsafeMutablePointer<Float>?,
                                                 low: Float, high: Float) {
        let l = V.lanes, vb = V.bytes, taps = g.kernelH &* g.kernelW, inPlane = g.inH &* g.inW, outPlane = g.outH &* g.outW
        // Lanes past `channels` repeat the last channel: they compute outputs nobody stores.
        tiles(taps, l) { t in V.transpose(w + t, taps, channels, b.filters + t &* l, l, l) }
        for j in 0..<l { b.biases[j] = bias?[min(j, channels &- 1)] ?? 0 }
        let tile = UnsafeRawPointer(b.tile), padded = UnsafeMutableRawPointer(b.padded)
        tiles(inPlane, l) { p in
            V.transpose(x + p, inPlane, channels, b.tile, l, l)
            // Each pixel's vector to its place inside the padding.
            var iy = p / g.inW, ix = p &- iy &* g.inW
            for i in 0..<l {
                V.load(tile, i &* vb).store(padded, ((iy &+ g.padTop) &* g.paddedW &+ ix &+ g.padLeft) &* vb)
                ix &+= 1
                if ix == g.inW { ix = 0; iy &+= 1 }
            }
        }
        let clamp = activated.map { _ in (low: V(repeating: low), high: V(repeating: high)) }
        // A literal stride: the eight pixels' loads then share one address register at constant displacements.
        switch g.stride {
        case 1: sums(V.self, g, b, clamp: clamp, stride: 1)
        case 2: sums(V.self, g, b, clamp: clamp, stride: 2)
        default: sums(V.self, g, b, clamp: clamp, stride: g.stride)
        }
        tiles(outPlane, l) { p in
            if let preActivation { V.transpose(b.staging + p &* l, l, l, preActivation + p, outPlane, channels) }
            if let activated { V.transpose(b.clamped + p &* l, l, l, activated + p, outPlane, channels) }
        }
    }

    /// Calls `body` with the start of each run of `lanes` in 0..<count (≥ lanes); the last run ends at `count`,
    /// overlapping the one before when `count` is not a multiple of `lanes`.
    @inlinable @inline(__always)
    static func tiles(_ count: Int, _ lanes: Int, _ body: (Int) -> Void) {
        var p = 0
        while p &+ lanes <= count {
            body(p)
            p &+= lanes
        }
        if p < count { body(count &- lanes) }
    }

    /// staging[pixel] = biases + Σ_t filters[t] · padded[pixel's tap t], and its clamp into `clamped`: a step of eight
    /// output pixels at a time along each row. A row's last step overlaps the one before; a row narrower than a step
    /// spills into the next row's pixels, which that row writes afterwards, and past the plane into the slack.
    @inlinable @inline(__always)
    static func sums<V: KernelVector>(_: V.Type, _ g: Geometry, _ b: Buffers, clamp: (low: V, high: V)?, stride s: Int) {
        let vb = V.bytes, sv = s &* vb, step = Geometry.step
        let src = UnsafeRawPointer(b.padded), filters = UnsafeRawPointer(b.filters)
        let staging = UnsafeMutableRawPointer(b.staging), clamped = UnsafeMutableRawPointer(b.clamped)
        let bias = V.load(UnsafeRawPointer(b.biases), 0)
        for oy in 0..<g.outH {
            var x0 = 0
            while true {
                x0 = min(x0, max(g.outW &- step, 0))
                var a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias, a7 = bias
                var f = 0
                for ky in 0..<g.kernelH {
                    let row = ((oy &* s &+ ky) &* g.paddedW &+ x0 &* s) &* vb
                    for kx in 0..<g.kernelW {
                        let w = V.load(filters, f)
                        let p = row &+ kx &* vb
                        a0 = a0.fma(w, V.load(src, p))
                        a1 = a1.fma(w, V.load(src, p &+ sv))
                        a2 = a2.fma(w, V.load(src, p &+ 2 &* sv))
                        a3 = a3.fma(w, V.load(src, p &+ 3 &* sv))
                        a4 = a4.fma(w, V.load(src, p &+ 4 &* sv))
                        a5 = a5.fma(w, V.load(src, p &+ 5 &* sv))
                        a6 = a6.fma(w, V.load(src, p &+ 6 &* sv))
                        a7 = a7.fma(w, V.load(src, p &+ 7 &* sv))
                        f &+= vb
                    }
                }
                let o = (oy &* g.outW &+ x0) &* vb
                @inline(__always) func put(_ i: Int, _ a: V) {
                    a.store(staging, o &+ i &* vb)
                    if let clamp { a.clamped(clamp.low, clamp.high).store(clamped, o &+ i &* vb) }
                }
                put(0, a0); put(1, a1); put(2, a2); put(3, a3); put(4, a4); put(5, a5); put(6, a6); put(7, a7)
                if x0 &+ step >= g.outW { break }
                x0 &+= step
            }
        }
    }
}
