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
        var lo = Float.infinity, hi = -Float.infinity, finite = true
        for v in values {
            finite = finite && v.isFinite
            lo = min(lo, v)
            hi = max(hi, v)
        }
        // NaN or infinities: the sort's own ordering decides, as before.
        guard finite else { return values.sorted()[rank] }
        guard hi > lo else { return lo }
        let buckets = max(1, min(4096, values.count / 8))
        let scale = Float(buckets) / (hi - lo)
        guard scale.isFinite, scale > 0 else { return values.sorted()[rank] }
        @inline(__always) func bucket(_ v: Float) -> Int { min(buckets - 1, Int((v - lo) * scale)) }
        var counts = [Int](repeating: 0, count: buckets)
        for v in values { counts[bucket(v)] += 1 }
        var before = 0, b = 0
        while before + counts[b] <= rank {
            before += counts[b]
            b += 1
        }
        var members: [Float] = []
        members.reserveCapacity(counts[b])
        for v in values where bucket(v) == b { members.append(v) }
        members.sort()
        return members[rank - before]
    }
}
