/// The k-th smallest of n values without sorting them all.
///
/// Why: the live window renders every probe result (a 3×224×224 gradient, 20–30 a second) scaled by its
/// 99.5th percentile, and the ascent's clip regularizers take a percentile every step; sorting 150 000 floats
/// for each was half of the UI thread's time. One pass counts the values into buckets over [min, max], and only
/// the bucket holding the wanted rank is sorted. Exact: bucketing preserves order.
public enum OrderStatistic {
    /// What `values.sorted()[rank]` gives, for 0 ≤ rank < values.count.
    public static func value(atRank rank: Int, in values: [Float]) -> Float {
        precondition(rank >= 0 && rank < values.count, "OrderStatistic: rank \(rank) of \(values.count) values")
        return values.withUnsafeBufferPointer { select(rank, $0) } ?? values.sorted()[rank]
    }

    /// The selection over 8 lanes at a time (a scalar pass each was most of a rendering's time); nil when a NaN or an
    /// infinity is present, or the range is too wide to bucket, where the sort's own ordering decides.
    private static func select(_ rank: Int, _ v: UnsafeBufferPointer<Float>) -> Float? {
        typealias Lanes = SIMD8<Float>
        let n = v.count, raw = UnsafeRawPointer(v.baseAddress!), whole = n / Lanes.scalarCount * Lanes.scalarCount
        @inline(__always) func lanes(_ i: Int) -> Lanes { raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self) }
        var low = Lanes(repeating: .infinity), high = Lanes(repeating: -.infinity), nonFinite = Lanes()
        for i in stride(from: 0, to: whole, by: Lanes.scalarCount) {
            let x = lanes(i)
            // Masked replacement compiles to compare-and-blend; `pointwiseMin` compiled lane by lane.
            low.replace(with: x, where: x .< low)
            high.replace(with: x, where: x .> high)
            nonFinite += x - x // 0 for every finite x, NaN otherwise
        }
        var lo = low.min(), hi = high.max(), finite = nonFinite.sum() == 0
        for i in whole..<n {
            finite = finite && v[i].isFinite
            lo = min(lo, v[i])
            hi = max(hi, v[i])
        }
        guard finite else { return nil }
        guard hi > lo else { return lo }
        let buckets = max(1, min(4096, n / 8))
        let scale = Float(buckets) / (hi - lo)
        guard scale.isFinite, scale > 0 else { return nil }
        @inline(__always) func bucket(_ x: Float) -> Int { min(buckets - 1, Int((x - lo) * scale)) }
        var counts = [Int](repeating: 0, count: buckets)
        counts.withUnsafeMutableBufferPointer { c in for x in v { c[bucket(x)] &+= 1 } }
        var before = 0, b = 0
        while before + counts[b] <= rank {
            before += counts[b]
            b += 1
        }
        var members: [Float] = []
        members.reserveCapacity(counts[b])
        // Only values within a bucket's width of bucket b can be in it (rounding moves a value by far less), so
        // 8 lanes at a time are compared with that window and only those inside it are bucketed exactly.
        let width = (hi - lo) / Float(buckets)
        let from = Lanes(repeating: lo + Float(b - 1) * width), to = Lanes(repeating: lo + Float(b + 2) * width)
        for i in stride(from: 0, to: whole, by: Lanes.scalarCount) {
            let x = lanes(i)
            let near = (x .>= from) .& (x .<= to)
            guard any(near) else { continue }
            for l in 0..<Lanes.scalarCount where near[l] && bucket(x[l]) == b { members.append(x[l]) }
        }
        for i in whole..<n where bucket(v[i]) == b { members.append(v[i]) }
        members.sort()
        return members[rank - before]
    }
}
