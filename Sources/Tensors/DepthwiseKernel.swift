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
