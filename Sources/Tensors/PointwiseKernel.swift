import CPrefetch
/// A clamp applied to a product's result as it is stored: `into[i] = min(max(c[i], low), high)`, with
/// `into` laid out like `c` (the same pointer when the activation overwrites the pre-activation map).
public struct ClampTarget {
    public let low: Float, high: Float
    public let into: UnsafeMutablePointer<Float>
    /// A clamp of the stored result into `into`.
    public init(low: Float, high: Float, into: UnsafeMutablePointer<Float>) { self.low = low; self.high = high; self.into = into }
}

/// C[M×N] = bias + A[M×K] · B[K×N] (or C += A · B), for the thin products of 1×1 convolutions.
///
/// Why not OpenBLAS here: a 1×1 convolution's product has N = H·W up to 12 544 but K and M of only
/// 16–1152, where sgemm ran at 18–45 G multiply-adds/s, and its result then needed separate passes for
/// bias and clamp. This kernel packs a strip of B two vectors wide (16 columns with AVX2, 32 with AVX-512;
/// all K rows, zero-padded at the right edge) into a contiguous panel once and reuses it for every block
/// of 6 rows of A; each block keeps a 6 × 2-vector tile of C in twelve registers for the whole K loop and
/// stores it once, bias and clamp included.
/// A is read in place through (row, column) strides, so the transposed weights of backward need no copy
/// and no packed weights exist to share or keep in step with the model. Where A is large, the next row block's
/// rows are prefetched while the current one computes (see `prefetching`).
public enum PointwiseKernel {
    /// Rows per register tile.
    @inlinable public static var mr: Int { 6 }

    /// C = (accumulate ? C : bias) + A·B, then the optional clamp copy. A[i][k] = a[i·aRowStride + k·aColStride].
    /// This entry uses AVX2 vectors; `PointwiseAVX512.multiply` is the same kernel with AVX-512 ones.
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, aRowStride: Int, aColStride: Int,
                                b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                                c: UnsafeMutablePointer<Float>, ldc: Int, clamp: ClampTarget? = nil) {
        multiply(SIMD8<Float>.self, m: m, n: n, k: k, a: a, aRowStride: aRowStride, aColStride: aColStride, b: b, ldb: ldb,
                 bias: bias, accumulate: accumulate, c: c, ldc: ldc, clamp: clamp)
    }

    /// The same with vectors of type `V` (panels of two vectors' width), specialized in the module that calls it.
    @inlinable
    public static func multiply<V: KernelVector>(_: V.Type, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, aRowStride: Int,
                                                 aColStride: Int, b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?,
                                                 accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, clamp: ClampTarget?) {
        guard m > 0, n > 0 else { return }
        let nr = 2 * V.lanes
        let strips = (n + nr - 1) / nr, rowBlocks = (m + mr - 1) / mr
        let job = Job<V>(m: m, n: n, k: k, a: a, ars: aRowStride, acs: aColStride, b: b, ldb: ldb, bias: bias,
                         accumulate: accumulate, c: c, ldc: ldc, clamp: clamp)
        // Column strips when there are enough to share; otherwise row blocks (each thread packs the strips itself).
        if strips >= 4 * Parallel.threads || rowBlocks < 2 * Parallel.threads {
            Parallel.forChunks(strips, maxChunks: 64) { range, _ in job.run(strips: range, rows: 0..<rowBlocks) }
        } else {
            Parallel.forChunks(rowBlocks, maxChunks: 64) { range, _ in job.run(strips: 0..<strips, rows: range) }
        }
    }

    /// One product's operands, shared read-only by the worker threads.
    @usableFromInline
    struct Job<V: KernelVector> {
        @usableFromInline let m: Int, n: Int, k: Int
        @usableFromInline let a: UnsafePointer<Float>, ars: Int, acs: Int
        @usableFromInline let b: UnsafePointer<Float>, ldb: Int
        @usableFromInline let bias: UnsafePointer<Float>?
        @usableFromInline let accumulate: Bool
        @usableFromInline let c: UnsafeMutablePointer<Float>, ldc: Int
        @usableFromInline let clamp: ClampTarget?
        @usableFromInline var nr: Int { 2 * V.lanes }
        /// Whether the strip loop prefetches the next row block of A: when A is read in place and too large to stay in L2
        /// between calls (the 7×7 layers' 192×1152 and larger). There the tile loop waited on its broadcasts from A's
        /// rows (perf annotate): in the model those layers took 1.4–2× their time as one-layer models, whose A stayed
        /// cached from the previous run. Not in the edge pieces: by then the strip has brought A into L2.
        @usableFromInline var prefetching: Bool { acs == 1 && m * k >= Self.prefetchFloats }
        @inlinable static var prefetchFloats: Int { 64 * 1024 }
        /// How many strips ahead `pack` asks for B's lines. A strip gathers a 128-byte piece of each of B's k rows, and
        /// on the large maps those rows are k planes of up to 12 544 floats: more streams than the hardware prefetcher
        /// follows. In the model, `blocks.0`'s 1×1 (k = 32 planes of 112×112, just written by the depthwise layer) took
        /// 0.31–0.35 ms and 0.21–0.24 with this (per-node medians); whole passes gained 0.7 % (BENCHMARKS.md).
        @inlinable static var prefetchStrips: Int { 2 }

        @usableFromInline
        init(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, ars: Int, acs: Int, b: UnsafePointer<Float>, ldb: Int,
             bias: UnsafePointer<Float>?, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, clamp: ClampTarget?) {
            self.m = m; self.n = n; self.k = k; self.a = a; self.ars = ars; self.acs = acs; self.b = b; self.ldb = ldb
            self.bias = bias; self.accumulate = accumulate; self.c = c; self.ldc = ldc; self.clamp = clamp
        }

        @inlinable
        func run(strips: Range<Int>, rows: Range<Int>) {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: k * nr + nr) { buf in
                let panel = buf.baseAddress!
                for s in strips {
                    let col0 = s * nr, cols = min(nr, n - col0)
                    if cols < nr {
                        edge(col0: col0, cols: cols, rows: rows, scratch: panel)
                        continue
                    }
                    pack(col0: col0, cols: cols, width: nr, into: panel)
                    for r in rows {
                        if prefetching, r + 1 < rows.upperBound { prefetchRows(block: r + 1) }
                        tile(row0: r * mr, rows: min(mr, m - r * mr), col0: col0, cols: cols, panel: panel)
                    }
                }
            }
        }

        /// Asks for row block `block` of A to be brought into L2 while the current block computes.
        @inlinable @inline(__always)
        func prefetchRows(block: Int) {
            let row0 = block * mr
            for i in row0..<min(m, row0 + mr) {
                let row = a + i * ars
                var kk = 0
                while kk < k {
                    deepvis_prefetch(row + kk)
                    kk &+= 16
                }
            }
        }

        /// Columns left after the whole strips at most this many are products with one column each.
        @inlinable static var fewColumns: Int { 4 }

        /// The last, partial strip, without computing a whole strip for it: 7×7 maps leave 17 of 32 columns and
        /// 14×14 maps 4, and a padded strip cost as much as a full one. One-vector strips while more than
        /// `fewColumns` are left (the last one padded), then a matrix-vector product per column.
        @inlinable
        func edge(col0: Int, cols: Int, rows: Range<Int>, scratch: UnsafeMutablePointer<Float>) {
            var first = col0, left = cols
            while left > Self.fewColumns {
                let width = min(left, V.lanes)
                pack(col0: first, cols: width, width: V.lanes, into: scratch)
                for r in rows { narrowTile(row0: r * mr, rows: min(mr, m - r * mr), col0: first, cols: width, panel: scratch) }
                first += width
                left -= width
            }
            for j in first..<(first + left) { column(j, rows: rows, scratch: scratch) }
        }

        /// `tile` one vector wide: C[row0 ..< row0+rows][col0 ..< col0+cols], cols ≤ lanes.
        @inlinable @inline(__always)
        func narrowTile(row0: Int, rows: Int, col0: Int, cols: Int, panel: UnsafePointer<Float>) {
            let (w0, w1, w2, w3, w4, w5) = rowPointers(row0: row0, rows: rows)
            var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
            var q = UnsafeRawPointer(panel), wo = 0
            let cs = acs
            for _ in 0..<k {
                let x = V.load(q, 0)
                c0 = c0.fma(V(repeating: w0[wo]), x); c1 = c1.fma(V(repeating: w1[wo]), x)
                c2 = c2.fma(V(repeating: w2[wo]), x); c3 = c3.fma(V(repeating: w3[wo]), x)
                c4 = c4.fma(V(repeating: w4[wo]), x); c5 = c5.fma(V(repeating: w5[wo]), x)
                wo &+= cs
                q += V.bytes
            }
            let z = V()
            storeBlock(row0: row0, rows: rows, col0: col0, cols: cols, (c0, z), (c1, z), (c2, z), (c3, z), (c4, z), (c5, z))
        }

        /// Column j of C for the row blocks `rows`, as A times B's column j (copied to `scratch`): vectors run along
        /// A's contiguous direction, k when A is read in place, the rows when it is read transposed.
        @inlinable
        func column(_ j: Int, rows: Range<Int>, scratch: UnsafeMutablePointer<Float>) {
            for kk in 0..<k { scratch[kk] = b[kk * ldb + j] }
            let first = rows.lowerBound * mr, last = min(m, rows.upperBound * mr)
            var i = first
            if ars == 1 {
                while i + V.lanes <= last {
                    var acc = V()
                    for kk in 0..<k { acc = acc.fma(V(repeating: scratch[kk]), V.load(UnsafeRawPointer(a + i + kk * acs), 0)) }
                    for l in 0..<V.lanes { finish(row: i + l, column: j, acc[l]) }
                    i += V.lanes
                }
            }
            // Four rows at a time share the loads of the column. Whole vectors run to the last 16 of k, and each row's
            // lanes are summed by halves: the 1×1 expands of 14×14 maps (k = 112 = 3·32 + 16) had summed 16 products per
            // row and column one by one, and then 16 lanes in a chain; their 4 leftover columns took 11 % of the layer.
            if acs == 1 {
                while i + 4 <= last {
                    let r0 = UnsafeRawPointer(a + i * ars), r1 = r0 + ars * 4, r2 = r1 + ars * 4, r3 = r2 + ars * 4
                    let x = UnsafeRawPointer(scratch)
                    var s0 = V(), s1 = V(), s2 = V(), s3 = V(), kk = 0
                    while kk + V.lanes <= k {
                        let v = V.load(x, kk &* 4)
                        s0 = s0.fma(V.load(r0, kk &* 4), v); s1 = s1.fma(V.load(r1, kk &* 4), v)
                        s2 = s2.fma(V.load(r2, kk &* 4), v); s3 = s3.fma(V.load(r3, kk &* 4), v)
                        kk &+= V.lanes
                    }
                    var t0 = s0.total(), t1 = s1.total(), t2 = s2.total(), t3 = s3.total()
                    while kk < k {
                        let v = scratch[kk]
                        t0 += a[i * ars + kk] * v; t1 += a[(i + 1) * ars + kk] * v
                        t2 += a[(i + 2) * ars + kk] * v; t3 += a[(i + 3) * ars + kk] * v
                        kk += 1
                    }
                    finish(row: i, column: j, t0); finish(row: i + 1, column: j, t1)
                    finish(row: i + 2, column: j, t2); finish(row: i + 3, column: j, t3)
                    i += 4
                }
            }
            while i < last {
                let row = a + i * ars
                var sum: Float = 0
                if acs == 1 {
                    var acc = V(), kk = 0
                    while kk + V.lanes <= k {
                        acc = acc.fma(V.load(UnsafeRawPointer(row + kk), 0), V.load(UnsafeRawPointer(scratch + kk), 0))
                        kk += V.lanes
                    }
                    sum = acc.total()
                    while kk < k { sum += row[kk] * scratch[kk]; kk += 1 }
                } else {
                    for kk in 0..<k { sum += row[kk * acs] * scratch[kk] }
                }
                finish(row: i, column: j, sum)
                i += 1
            }
        }

        /// Stores one element of C from its product: bias or old C added, clamp copy made.
        @inlinable @inline(__always)
        func finish(row: Int, column j: Int, _ product: Float) {
            let offset = row * ldc + j
            let v = product + (accumulate ? c[offset] : (bias?[row] ?? 0))
            c[offset] = v
            if let target = self.clamp { target.into[offset] = min(max(v, target.low), target.high) }
        }

        /// panel[kk·width + j] = B[kk][col0 + j], zero past the last column; width is nr (a strip) or one vector.
        @inlinable @inline(__always)
        func pack(col0: Int, cols: Int, width: Int, into panel: UnsafeMutablePointer<Float>) {
            let prefetch = col0 + (Self.prefetchStrips + 1) * nr <= n
            for kk in 0..<k {
                let src = b + kk * ldb + col0, dst = panel + kk * width
                if cols == width {
                    let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
                    if prefetch {
                        deepvis_prefetch(s + Self.prefetchStrips * nr * 4)
                        deepvis_prefetch(s + Self.prefetchStrips * nr * 4 + 64)
                    }
                    V.load(s, 0).store(d, 0)
                    if width == nr { V.load(s, V.bytes).store(d, V.bytes) }
                } else {
                    for j in 0..<cols { dst[j] = src[j] }
                    for j in cols..<width { dst[j] = 0 }
                }
            }
        }

        /// Computes C[row0 ..< row0+rows][col0 ..< col0+cols] (rows ≤ 6, cols ≤ nr) from the packed panel.
        ///
        /// 12 accumulators + 2 panel vectors + 1 broadcast = 15 of AVX2's 16 registers: a 4 × 3-vector tile
        /// needed 17, and its one spilled accumulator chained every iteration through memory.
        @inlinable @inline(__always)
        func tile(row0: Int, rows: Int, col0: Int, cols: Int, panel: UnsafePointer<Float>) {
            let (w0, w1, w2, w3, w4, w5) = rowPointers(row0: row0, rows: rows)
            var c00 = V(), c01 = V(), c10 = V(), c11 = V()
            var c20 = V(), c21 = V(), c30 = V(), c31 = V()
            var c40 = V(), c41 = V(), c50 = V(), c51 = V()
            var q = UnsafeRawPointer(panel), wo = 0
            let cs = acs
            for _ in 0..<k {
                let x0 = V.load(q, 0)
                let x1 = V.load(q, V.bytes)
                var v = V(repeating: w0[wo])
                c00 = c00.fma(v, x0); c01 = c01.fma(v, x1)
                v = V(repeating: w1[wo])
                c10 = c10.fma(v, x0); c11 = c11.fma(v, x1)
                v = V(repeating: w2[wo])
                c20 = c20.fma(v, x0); c21 = c21.fma(v, x1)
                v = V(repeating: w3[wo])
                c30 = c30.fma(v, x0); c31 = c31.fma(v, x1)
                v = V(repeating: w4[wo])
                c40 = c40.fma(v, x0); c41 = c41.fma(v, x1)
                v = V(repeating: w5[wo])
                c50 = c50.fma(v, x0); c51 = c51.fma(v, x1)
                wo &+= cs
                q += 2 * V.bytes
            }
            storeBlock(row0: row0, rows: rows, col0: col0, cols: cols, (c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41),
                       (c50, c51))
        }

        /// The six rows of A's block at row0. Missing rows of a short block repeat row 0: the tile loops stay
        /// branch-free and those rows' results are dropped by `storeBlock`.
        @inlinable @inline(__always)
        func rowPointers(row0: Int, rows: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                   UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>) {
            let w0 = a + row0 * ars
            return (w0, rows > 1 ? w0 + ars : w0, rows > 2 ? w0 + 2 * ars : w0,
                    rows > 3 ? w0 + 3 * ars : w0, rows > 4 ? w0 + 4 * ars : w0, rows > 5 ? w0 + 5 * ars : w0)
        }

        /// Stores the first `rows` of a block's six row sums (two vectors each; the second is zero for a one-vector tile).
        @inlinable @inline(__always)
        func storeBlock(row0: Int, rows: Int, col0: Int, cols: Int, _ r0: (V, V), _ r1: (V, V), _ r2: (V, V), _ r3: (V, V),
                        _ r4: (V, V), _ r5: (V, V)) {
            store(row: row0, cols: col0, count: cols, r0.0, r0.1)
            if rows > 1 { store(row: row0 + 1, cols: col0, count: cols, r1.0, r1.1) }
            if rows > 2 { store(row: row0 + 2, cols: col0, count: cols, r2.0, r2.1) }
            if rows > 3 { store(row: row0 + 3, cols: col0, count: cols, r3.0, r3.1) }
            if rows > 4 { store(row: row0 + 4, cols: col0, count: cols, r4.0, r4.1) }
            if rows > 5 { store(row: row0 + 5, cols: col0, count: cols, r5.0, r5.1) }
        }

        /// min(max(v, lo), hi) lane by lane (`KernelVector.clamped`).
        @inlinable @inline(__always)
        func clamp(_ v: V, _ lo: V, _ hi: V) -> V { v.clamped(lo, hi) }

        /// Adds the bias or the old C to one row's 16 sums and stores the first `count` of them (and their clamp).
        @inlinable @inline(__always)
        func store(row: Int, cols col0: Int, count: Int, _ v0: V, _ v1: V) {
            let offset = row * ldc + col0
            var r0 = v0, r1 = v1
            if count == nr {
                let dst = UnsafeMutableRawPointer(c + offset)
                if accumulate {
                    r0 = r0 + V.load(dst, 0)
                    r1 = r1 + V.load(dst, V.bytes)
                } else if let bias {
                    let bv = V(repeating: bias[row])
                    r0 = r0 + bv; r1 = r1 + bv
                }
                if let target = self.clamp {
                    let lo = V(repeating: target.low), hi = V(repeating: target.high)
                    let out = UnsafeMutableRawPointer(target.into + offset)
                    if out != dst {
                        r0.store(dst, 0); r1.store(dst, V.bytes)
                    }
                    clamp(r0, lo, hi).store(out, 0); clamp(r1, lo, hi).store(out, V.bytes)
                } else {
                    r0.store(dst, 0); r1.store(dst, V.bytes)
                }
                return
            }
            if count == V.lanes {
                // A one-vector strip.
                let dst = UnsafeMutableRawPointer(c + offset)
                if accumulate {
                    r0 = r0 + V.load(dst, 0)
                } else if let bias {
                    r0 = r0 + V(repeating: bias[row])
                }
                if let target = self.clamp {
                    let out = UnsafeMutableRawPointer(target.into + offset)
                    if out != dst { r0.store(dst, 0) }
                    clamp(r0, V(repeating: target.low), V(repeating: target.high)).store(out, 0)
                } else {
                    r0.store(dst, 0)
                }
                return
            }
            // The right edge: element by element.
            let b0: Float = accumulate ? 0 : (bias?[row] ?? 0)
            for j in 0..<count {
                var v = (j < V.lanes ? r0[j] : r1[j - V.lanes]) + b0
                if accumulate { v += c[offset + j] }
                c[offset + j] = v
                if let target = self.clamp { target.into[offset + j] = min(max(v, target.low), target.high) }
            }
        }
    }
}

/// What the pointwise kernel needs of a float vector; SIMD8 (AVX2) conforms here, SIMD16 (AVX-512) in `TensorsAVX512`.
/// Each conformance is compiled with its own module's target CPU and inlined into the kernel specialized there.
public protocol KernelVector {
    /// Floats per vector, and bytes.
    static var lanes: Int { get }
    init()
    init(repeating: Float)
    static func load(_ p: UnsafeRawPointer, _ byteOffset: Int) -> Self
    func store(_ p: UnsafeMutableRawPointer, _ byteOffset: Int)
    /// self + a·b, fused.
    func fma(_ a: Self, _ b: Self) -> Self
    static func + (l: Self, r: Self) -> Self
    /// min(max(self, lo), hi) lane by lane.
    func clamped(_ lo: Self, _ hi: Self) -> Self
    subscript(index: Int) -> Float { get }
    /// self with the lanes zeroed whose column (the Int32s at p + byteOffset) is below `bound`.
    func zeroingColumns(_ p: UnsafeRawPointer, _ byteOffset: Int, below bound: Int32) -> Self
    /// self with the lanes zeroed whose column (the Int32s at p + byteOffset) is `bound` or more.
    func zeroingColumns(_ p: UnsafeRawPointer, _ byteOffset: Int, from bound: Int32) -> Self
    /// The sum of the lanes, by halves.
    func total() -> Float
    /// Transposes a lanes × lanes tile: source row i at `src + min(i, srcRows − 1)·srcStride`, result row i (for
    /// i < dstRows) to `dst + i·dstStride`.
    static func transpose(_ src: UnsafePointer<Float>, _ srcStride: Int, _ srcRows: Int,
                          _ dst: UnsafeMutablePointer<Float>, _ dstStride: Int, _ dstRows: Int)
}

extension KernelVector {
    @inlinable static var bytes: Int { 4 * lanes }
}

// SIMD16's conformance in TensorsAVX512 repeats these bodies on purpose: written once as an `@inlinable` extension
// on `KernelVector where Self: SIMD`, they were not inlined into the specialized kernel (forward 3× slower).
extension SIMD8: KernelVector where Scalar == Float {
    @inlinable public static var lanes: Int { 8 }
    @inlinable @inline(__always)
    public static func load(_ p: UnsafeRawPointer, _ byteOffset: Int) -> Self { p.loadUnaligned(fromByteOffset: byteOffset, as: Self.self) }
    @inlinable @inline(__always)
    public func store(_ p: UnsafeMutableRawPointer, _ byteOffset: Int) { p.storeBytes(of: self, toByteOffset: byteOffset, as: Self.self) }
    @inlinable @inline(__always)
    public func fma(_ a: Self, _ b: Self) -> Self { addingProduct(a, b) }
    /// In C (`deepvis_clamp8`): `clamped(lowerBound:upperBound:)` and `pointwiseMin` were not inlined, and
    /// `replacing(with:where:)` compiled to 4-lane pieces in some kernels.
    @inlinable @inline(__always)
    public func clamped(_ lo: Self, _ hi: Self) -> Self { deepvis_clamp8(self, lo, hi) }
    @inlinable @inline(__always)
    public func zeroingColumns(_ p: UnsafeRawPointer, _ byteOffset: Int, below bound: Int32) -> Self {
        replacing(with: 0, where: p.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Int32>.self) .< SIMD8<Int32>(repeating: bound))
    }
    @inlinable @inline(__always)
    public func zeroingColumns(_ p: UnsafeRawPointer, _ byteOffset: Int, from bound: Int32) -> Self {
        replacing(with: 0, where: p.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Int32>.self) .>= SIMD8<Int32>(repeating: bound))
    }
    @inlinable @inline(__always)
    public func total() -> Float {
        let q = lowHalf + highHalf, d = q.lowHalf + q.highHalf
        return d[0] + d[1]
    }
    @inlinable @inline(__always)
    public static func transpose(_ src: UnsafePointer<Float>, _ srcStride: Int, _ srcRows: Int,
                                 _ dst: UnsafeMutablePointer<Float>, _ dstStride: Int, _ dstRows: Int) {
        deepvis_transpose8(src, srcStride, srcRows, dst, dstStride, dstRows)
    }
}
