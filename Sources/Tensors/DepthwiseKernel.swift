/// The inner loop of the wide-row depthwise convolution (see Network's `DepthwiseScratch`), generic over
/// the vector width so that `TensorsAVX512` can specialize it with 16-float vectors.
public enum WideRows {
    /// wide[j] = Σ_t taps[t] · planes[offsets[t] + j] for j < count (a multiple of 32).
    ///
    /// Four vectors per step, so each tap's weight and offset are loaded once per four multiply-adds and four
    /// independent sums hide the multiply-add latency; with `V` wider than 8, the last < 4·V.lanes
    /// outputs are done in 8-float vectors.
    @inlinable @inline(__always)
    public static func accumulate<V: KernelVector>(_: V.Type, taps: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>,
                                                   from planes: UnsafePointer<Float>, into wide: UnsafeMutablePointer<Float>,
                                                   count: Int) {
        var j = 0
        if V.lanes > 8 { j = steps(V.self, taps: taps, offsets: offsets, from: planes, into: wide, from: 0, count: count) }
        _ = steps(SIMD8<Float>.self, taps: taps, offsets: offsets, from: planes, into: wide, from: j, count: count)
    }

    /// Whole steps of 4·V.lanes outputs from `start`; returns where it stopped.
    @inlinable @inline(__always)
    static func steps<V: KernelVector>(_: V.Type, taps: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>,
                                       from planes: UnsafePointer<Float>, into wide: UnsafeMutablePointer<Float>,
                                       from start: Int, count: Int) -> Int {
        let src = UnsafeRawPointer(planes), dst = UnsafeMutableRawPointer(wide), vb = V.bytes
        var j = start
        while j + 4 * V.lanes <= count {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            for t in 0..<offsets.count {
                let w = V(repeating: taps[t])
                let p = src + (offsets[t] + j) * 4
                a0 = a0.fma(w, V.load(p, 0))
                a1 = a1.fma(w, V.load(p, vb))
                a2 = a2.fma(w, V.load(p, 2 * vb))
                a3 = a3.fma(w, V.load(p, 3 * vb))
            }
            let q = dst + j * 4
            a0.store(q, 0); a1.store(q, vb); a2.store(q, 2 * vb); a3.store(q, 3 * vb)
            j += 4 * V.lanes
        }
        return j
    }
}

/// The depthwise kernel for planes whose size is the output's times the stride (stride 1 with "same" padding, and
/// stride 2 on even sizes; see Network's `DepthwiseScratch.flat`), generic over the vector width like `WideRows`.
///
/// Vectors run along the output plane as if it were one long row, so no lane is spent on padding columns (the
/// wide-row form computes every padded column: twice the work on a 7×7 map with a 5×5 filter) and the output is
/// stored as whole vectors. The source is one plane per phase (one for stride 1, four for stride 2), each the
/// output's size, between zero rows that stand for the top and bottom padding. So every tap reads at a fixed offset
/// from the output position; a tap whose column falls off a row's edge would read the neighbouring row instead,
/// so the taps are summed in groups of one column shift and each group is masked by the output columns
/// (`columns`) before it is added.
public enum FlatPlanes {
    /// The taps, as one table of `Int`s at `base`: `groups` group ends (exclusive tap indices), then each group's
    /// column shift, then each tap's offset into the source (in floats, from the output position). The filter is
    /// given in the same order as the taps. `width` is the output's row length, `count` its plane size (≥ the lanes).
    public struct Taps {
        public let base: UnsafePointer<Int>
        public let groups: Int, taps: Int, width: Int, count: Int
        public init(base: UnsafePointer<Int>, groups: Int, taps: Int, width: Int, count: Int) {
            (self.base, self.groups, self.taps, self.width, self.count) = (base, groups, taps, width, count)
        }
    }

    /// Where a plane's result goes: the sum plus bias into `preActivation` and its clamp to low...high into `activated`;
    /// either may be nil.
    public struct Output {
        public let preActivation: UnsafeMutablePointer<Float>?, activated: UnsafeMutablePointer<Float>?
        public let low: Float, high: Float
        public init(preActivation: UnsafeMutablePointer<Float>?, activated: UnsafeMutablePointer<Float>?, low: Float, high: Float) {
            (self.preActivation, self.activated, self.low, self.high) = (preActivation, activated, low, high)
        }
    }

    /// out[p] = bias + Σ_t filter[t] · source[p + offset_t] over the taps t whose group's shifted column
    /// p % width + shift lies in 0..<width; `columns[p]` = p % width. Every source[p + offset_t] for p < count must be
    /// readable, and zero where it stands for padding.
    /// Only the output positions in `positions` (at least the lanes, within the plane) are computed and stored.
    @inlinable @inline(__always)
    public static func convolve<V: KernelVector>(_: V.Type, _ taps: Taps, filter: UnsafePointer<Float>, from source: UnsafePointer<Float>,
                                                 columns: UnsafePointer<Int32>, bias: Float, _ out: Output, positions: Range<Int>? = nil) {
        let l = V.lanes, start = positions?.lowerBound ?? 0, end = positions?.upperBound ?? taps.count
        // Four vectors at a time hide the multiply-add latency; the last one to four end at the range's end, overlapping
        // vectors already done (the same values, stored again).
        var p = start
        while p + 4 * l <= end {
            group(V.self, taps, filter, source, columns, bias, out, p, p + l, p + 2 * l, p + 3 * l)
            p += 4 * l
        }
        if p < end {
            let last = end - l, vectors = (end - p + l - 1) / l
            if vectors <= 2 && end - start >= l {
                // One or two vectors left (a 14×14 plane's last 4 positions, a 28×28 plane's last 16): four overlapping
                // vectors would compute 64 positions for them, 16 vectors for a 14×14 plane's 13.
                single(V.self, taps, filter, source, columns, bias, out, min(p, last))
                if vectors == 2 { single(V.self, taps, filter, source, columns, bias, out, last) }
            } else if end - start < 4 * l {
                group(V.self, taps, filter, source, columns, bias, out, start, min(start + l, last), min(start + 2 * l, last), last)
            } else {
                group(V.self, taps, filter, source, columns, bias, out, last - 3 * l, last - 2 * l, last - l, last)
            }
        }
    }

    /// `group` for one vector at p0.
    @inlinable @inline(__always)
    static func single<V: KernelVector>(_: V.Type, _ taps: Taps, _ filter: UnsafePointer<Float>, _ source: UnsafePointer<Float>,
                                        _ columns: UnsafePointer<Int32>, _ bias: Float, _ out: Output, _ p0: Int) {
        let src = UnsafeRawPointer(source), cols = UnsafeRawPointer(columns), width = Int32(taps.width)
        let ends = taps.base, shifts = ends + taps.groups, offsets = shifts + taps.groups
        let b0 = p0 &* 4
        var a0 = V()
        var t = 0
        for g in 0..<taps.groups {
            var t0 = V(), u0 = V()
            let end = ends[g]
            while t &+ 1 < end {
                t0 = t0.fma(V(repeating: filter[t]), V.load(src, offsets[t] &* 4 &+ b0))
                u0 = u0.fma(V(repeating: filter[t &+ 1]), V.load(src, offsets[t &+ 1] &* 4 &+ b0))
                t &+= 2
            }
            if t < end {
                t0 = t0.fma(V(repeating: filter[t]), V.load(src, offsets[t] &* 4 &+ b0))
                t &+= 1
            }
            t0 = t0 + u0
            let shift = Int32(truncatingIfNeeded: shifts[g])
            if shift == 0 {
                a0 = a0 + t0
            } else if shift < 0 {
                a0 = a0 + t0.zeroingColumns(cols, b0, below: -shift)
            } else {
                a0 = a0 + t0.zeroingColumns(cols, b0, from: width &- shift)
            }
        }
        finish(a0 + V(repeating: bias), b0, out)
    }

    @inlinable @inline(__always)
    static func group<V: KernelVector>(_: V.Type, _ taps: Taps, _ filter: UnsafePointer<Float>, _ source: UnsafePointer<Float>,
                                       _ columns: UnsafePointer<Int32>, _ bias: Float, _ out: Output,
                                       _ p0: Int, _ p1: Int, _ p2: Int, _ p3: Int) {
        let src = UnsafeRawPointer(source), cols = UnsafeRawPointer(columns), width = Int32(taps.width)
        let ends = taps.base, shifts = ends + taps.groups, offsets = shifts + taps.groups
        let b0 = p0 &* 4, b1 = p1 &* 4, b2 = p2 &* 4, b3 = p3 &* 4
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        var t = 0
        for g in 0..<taps.groups {
            // Two partial sums per vector: the chains of dependent multiply-adds are half as long.
            var t0 = V(), t1 = V(), t2 = V(), t3 = V(), u0 = V(), u1 = V(), u2 = V(), u3 = V()
            let end = ends[g]
            while t &+ 1 < end {
                let w = V(repeating: filter[t]), v = V(repeating: filter[t &+ 1])
                let off = offsets[t] &* 4, off2 = offsets[t &+ 1] &* 4
                t0 = t0.fma(w, V.load(src, off &+ b0))
                t1 = t1.fma(w, V.load(src, off &+ b1))
                t2 = t2.fma(w, V.load(src, off &+ b2))
                t3 = t3.fma(w, V.load(src, off &+ b3))
                u0 = u0.fma(v, V.load(src, off2 &+ b0))
                u1 = u1.fma(v, V.load(src, off2 &+ b1))
                u2 = u2.fma(v, V.load(src, off2 &+ b2))
                u3 = u3.fma(v, V.load(src, off2 &+ b3))
                t &+= 2
            }
            if t < end {
                let w = V(repeating: filter[t])
                let off = offsets[t] &* 4
                t0 = t0.fma(w, V.load(src, off &+ b0))
                t1 = t1.fma(w, V.load(src, off &+ b1))
                t2 = t2.fma(w, V.load(src, off &+ b2))
                t3 = t3.fma(w, V.load(src, off &+ b3))
                t &+= 1
            }
            t0 = t0 + u0; t1 = t1 + u1; t2 = t2 + u2; t3 = t3 + u3
            let shift = Int32(truncatingIfNeeded: shifts[g])
            // A column falls off the left edge only for a negative shift, off the right only for a positive one: one compare.
            if shift == 0 {
                a0 = a0 + t0; a1 = a1 + t1; a2 = a2 + t2; a3 = a3 + t3
            } else if shift < 0 {
                a0 = a0 + t0.zeroingColumns(cols, b0, below: -shift)
                a1 = a1 + t1.zeroingColumns(cols, b1, below: -shift)
                a2 = a2 + t2.zeroingColumns(cols, b2, below: -shift)
                a3 = a3 + t3.zeroingColumns(cols, b3, below: -shift)
            } else {
                a0 = a0 + t0.zeroingColumns(cols, b0, from: width &- shift)
                a1 = a1 + t1.zeroingColumns(cols, b1, from: width &- shift)
                a2 = a2 + t2.zeroingColumns(cols, b2, from: width &- shift)
                a3 = a3 + t3.zeroingColumns(cols, b3, from: width &- shift)
            }
        }
        let bv = V(repeating: bias)
        finish(a0 + bv, b0, out); finish(a1 + bv, b1, out); finish(a2 + bv, b2, out); finish(a3 + bv, b3, out)
    }

    /// Output channels per block of `convolveChannels`.
    @inlinable public static var channelBlock: Int { 8 }

    /// `convolve` for a dense convolution (`Taps` over every input channel's planes): eight output channels at once,
    /// so each source vector is loaded once for all of them (one output channel at a time loaded it for each). `filters`
    /// holds per tap the eight channels' weights; `biases` and `outs` eight entries, of which the first `channels` are stored.
    /// The column masks go on the loaded source vectors here: per-group partial sums would need twice the registers.
    @inlinable @inline(__always)
    public static func convolveChannels<V: KernelVector>(_: V.Type, _ taps: Taps, filters: UnsafePointer<Float>, from source: UnsafePointer<Float>,
                                                         columns: UnsafePointer<Int32>, biases: UnsafePointer<Float>,
                                                         _ outs: UnsafePointer<Output>, channels: Int, positions: Range<Int>) {
        let l = V.lanes, start = positions.lowerBound, end = positions.upperBound
        var p = start
        while p + 2 * l <= end {
            pair(V.self, taps, filters, source, columns, biases, outs, channels, p, p + l)
            p += 2 * l
        }
        if p < end {
            let last = end - l
            pair(V.self, taps, filters, source, columns, biases, outs, channels, max(start, last - l), last)
        }
    }

    @inlinable @inline(__always)
    static func pair<V: KernelVector>(_: V.Type, _ taps: Taps, _ filters: UnsafePointer<Float>, _ source: UnsafePointer<Float>,
                                      _ columns: UnsafePointer<Int32>, _ biases: UnsafePointer<Float>, _ outs: UnsafePointer<Output>,
                                      _ channels: Int, _ p0: Int, _ p1: Int) {
        let src = UnsafeRawPointer(source), cols = UnsafeRawPointer(columns), width = Int32(taps.width)
        let ends = taps.base, shifts = ends + taps.groups, offsets = shifts + taps.groups
        let b0 = p0 &* 4, b1 = p1 &* 4
        var a0 = V(), a1 = V(), a2 = V(), a3 = V(), a4 = V(), a5 = V(), a6 = V(), a7 = V()
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
        var t = 0, w = filters
        for g in 0..<taps.groups {
            let end = ends[g], shift = Int32(truncatingIfNeeded: shifts[g])
            while t < end {
                let off = offsets[t] &* 4
                var x = V.load(src, off &+ b0), z = V.load(src, off &+ b1)
                if shift < 0 {
                    x = x.zeroingColumns(cols, b0, below: -shift)
                    z = z.zeroingColumns(cols, b1, below: -shift)
                } else if shift > 0 {
                    x = x.zeroingColumns(cols, b0, from: width &- shift)
                    z = z.zeroingColumns(cols, b1, from: width &- shift)
                }
                var v = V(repeating: w[0]); a0 = a0.fma(v, x); c0 = c0.fma(v, z)
                v = V(repeating: w[1]); a1 = a1.fma(v, x); c1 = c1.fma(v, z)
                v = V(repeating: w[2]); a2 = a2.fma(v, x); c2 = c2.fma(v, z)
                v = V(repeating: w[3]); a3 = a3.fma(v, x); c3 = c3.fma(v, z)
                v = V(repeating: w[4]); a4 = a4.fma(v, x); c4 = c4.fma(v, z)
                v = V(repeating: w[5]); a5 = a5.fma(v, x); c5 = c5.fma(v, z)
                v = V(repeating: w[6]); a6 = a6.fma(v, x); c6 = c6.fma(v, z)
                v = V(repeating: w[7]); a7 = a7.fma(v, x); c7 = c7.fma(v, z)
                w += 8
                t &+= 1
            }
        }
        @inline(__always) func put(_ j: Int, _ a: V, _ c: V) {
            guard j < channels else { return }
            let bias = V(repeating: biases[j])
            finish(a + bias, b0, outs[j])
            finish(c + bias, b1, outs[j])
        }
        put(0, a0, c0); put(1, a1, c1); put(2, a2, c2); put(3, a3, c3)
        put(4, a4, c4); put(5, a5, c5); put(6, a6, c6); put(7, a7, c7)
    }

    /// dst[0..<count] = src[0..<count] in whole vectors, the last one overlapping the one before (count ≥ lanes): inline,
    /// where `memmove` was a call per plane (1.5 % of a forward pass's perf samples, most planes being 49–196 floats).
    @inlinable @inline(__always)
    public static func copy<V: KernelVector>(_: V.Type, _ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        var i = 0
        while i &+ V.lanes < count {
            V.load(s, i &* 4).store(d, i &* 4)
            i &+= V.lanes
        }
        V.load(s, (count &- V.lanes) &* 4).store(d, (count &- V.lanes) &* 4)
    }

    /// The four phase planes of stride 2: (row parity, column parity) → where row 0 of that plane starts.
    public struct Phases {
        public let evenEven: UnsafeMutablePointer<Float>, evenOdd: UnsafeMutablePointer<Float>
        public let oddEven: UnsafeMutablePointer<Float>, oddOdd: UnsafeMutablePointer<Float>
        public init(evenEven: UnsafeMutablePointer<Float>, evenOdd: UnsafeMutablePointer<Float>,
                    oddEven: UnsafeMutablePointer<Float>, oddOdd: UnsafeMutablePointer<Float>) {
            (self.evenEven, self.evenOdd, self.oddEven, self.oddOdd) = (evenEven, evenOdd, oddEven, oddOdd)
        }
    }

    /// Splits a plane of rows × (2·halfWidth) into its four stride-2 phase planes of halfWidth columns: input row r
    /// goes to row r / 2 of the planes of its parity, its even columns to one and its odd ones to the other. The work is
    /// in 8-float halves whatever `V` is; calling it through `DepthwiseAVX512` compiles it for AVX-512 (two permutes).
    @inlinable @inline(__always)
    public static func splitPhases<V: KernelVector>(_: V.Type, _ plane: UnsafePointer<Float>, rows: Int, halfWidth: Int, into phases: Phases) {
        let w = halfWidth
        for r in 0..<rows {
            let i = (r >> 1) &* w
            let even = (r & 1 == 0 ? phases.evenEven : phases.oddEven) + i, odd = (r & 1 == 0 ? phases.evenOdd : phases.oddOdd) + i
            let src = UnsafeRawPointer(plane + r &* 2 &* w)
            // 8-float halves even with wider vectors: a 32-float deinterleave was compiled to a broadcast per element.
            if w >= 8 {
                row(src, UnsafeMutableRawPointer(even), UnsafeMutableRawPointer(odd), w)
            } else {
                let p = plane + r &* 2 &* w
                for j in 0..<w {
                    even[j] = p[2 &* j]
                    odd[j] = p[2 &* j &+ 1]
                }
            }
        }
    }

    /// One row of `splitPhases`, w ≥ 8: 8 columns of each phase per 16-float load, the last 8 overlapping the ones before.
    @inlinable @inline(__always)
    static func row(_ src: UnsafeRawPointer, _ even: UnsafeMutableRawPointer, _ odd: UnsafeMutableRawPointer, _ w: Int) {
        var j = 0
        while true {
            let v = src.loadUnaligned(fromByteOffset: j &* 8, as: SIMD16<Float>.self)
            even.storeBytes(of: v.evenHalf, toByteOffset: j &* 4, as: SIMD8<Float>.self)
            odd.storeBytes(of: v.oddHalf, toByteOffset: j &* 4, as: SIMD8<Float>.self)
            if j &+ 8 == w { break }
            j = min(j &+ 8, w &- 8)
        }
    }

    @inlinable @inline(__always)
    static func finish<V: KernelVector>(_ v: V, _ byteOffset: Int, _ out: Output) {
        if let p = out.preActivation { v.store(UnsafeMutableRawPointer(p), byteOffset) }
        if let a = out.activated { v.clamped(V(repeating: out.low), V(repeating: out.high)).store(UnsafeMutableRawPointer(a), byteOffset) }
    }
}
