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
/// bias and clamp. This kernel packs a 16-column strip of B (all K rows, zero-padded at the right edge)
/// into a contiguous panel once and reuses it for every block of 6 rows of A; each block keeps a 6×16
/// tile of C in twelve AVX registers for the whole K loop and stores it once, bias and clamp included.
/// A is read in place through (row, column) strides, so the transposed weights of backward need no copy
/// and no packed weights exist to share or keep in step with the model.
public enum PointwiseKernel {
    /// Columns per panel (three SIMD8 vectors) and rows per register tile.
    public static let nr = 16, mr = 6

    /// C = (accumulate ? C : bias) + A·B, then the optional clamp copy. A[i][k] = a[i·aRowStride + k·aColStride].
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, aRowStride: Int, aColStride: Int,
                                b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                                c: UnsafeMutablePointer<Float>, ldc: Int, clamp: ClampTarget? = nil) {
        guard m > 0, n > 0 else { return }
        let strips = (n + nr - 1) / nr, rowBlocks = (m + mr - 1) / mr
        let job = Job(m: m, n: n, k: k, a: a, ars: aRowStride, acs: aColStride, b: b, ldb: ldb, bias: bias,
                      accumulate: accumulate, c: c, ldc: ldc, clamp: clamp)
        // Column strips when there are enough to share; otherwise row blocks (each thread packs the strips itself).
        if strips >= 4 * Parallel.threads || rowBlocks < 2 * Parallel.threads {
            Parallel.forChunks(strips, maxChunks: 64) { range, _ in job.run(strips: range, rows: 0..<rowBlocks) }
        } else {
            Parallel.forChunks(rowBlocks, maxChunks: 64) { range, _ in job.run(strips: 0..<strips, rows: range) }
        }
    }

    /// One product's operands, shared read-only by the worker threads.
    private struct Job {
        let m: Int, n: Int, k: Int
        let a: UnsafePointer<Float>, ars: Int, acs: Int
        let b: UnsafePointer<Float>, ldb: Int
        let bias: UnsafePointer<Float>?
        let accumulate: Bool
        let c: UnsafeMutablePointer<Float>, ldc: Int
        let clamp: ClampTarget?

        func run(strips: Range<Int>, rows: Range<Int>) {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: k * nr + nr) { buf in
                let panel = buf.baseAddress!
                for s in strips {
                    let col0 = s * nr, cols = min(nr, n - col0)
                    pack(col0: col0, cols: cols, into: panel)
                    for r in rows { tile(row0: r * mr, rows: min(mr, m - r * mr), col0: col0, cols: cols, panel: panel) }
                }
            }
        }

        /// panel[kk·16 + j] = B[kk][col0 + j], zero past the last column.
        @inline(__always)
        private func pack(col0: Int, cols: Int, into panel: UnsafeMutablePointer<Float>) {
            for kk in 0..<k {
                let src = b + kk * ldb + col0, dst = panel + kk * nr
                if cols == nr {
                    let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
                    d.storeBytes(of: s.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                    d.storeBytes(of: s.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), toByteOffset: 32, as: SIMD8<Float>.self)
                } else {
                    for j in 0..<cols { dst[j] = src[j] }
                    for j in cols..<nr { dst[j] = 0 }
                }
            }
        }

        /// Computes C[row0 ..< row0+rows][col0 ..< col0+cols] (rows ≤ 6, cols ≤ 16) from the packed panel.
        ///
        /// 12 accumulators + 2 panel vectors + 1 broadcast = 15 of the 16 AVX registers: a 4×24 tile
        /// needed 17, and its one spilled accumulator chained every iteration through memory.
        @inline(__always)
        private func tile(row0: Int, rows: Int, col0: Int, cols: Int, panel: UnsafePointer<Float>) {
            // Missing rows of a short block repeat row 0: the loop stays branch-free and their results are dropped.
            let w0 = a + row0 * ars
            let w1 = rows > 1 ? w0 + ars : w0, w2 = rows > 2 ? w0 + 2 * ars : w0
            let w3 = rows > 3 ? w0 + 3 * ars : w0, w4 = rows > 4 ? w0 + 4 * ars : w0, w5 = rows > 5 ? w0 + 5 * ars : w0
            var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
            var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
            var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
            var q = UnsafeRawPointer(panel), wo = 0
            let cs = acs
            for _ in 0..<k {
                let x0 = q.loadUnaligned(as: SIMD8<Float>.self)
                let x1 = q.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                var v = SIMD8(repeating: w0[wo])
                c00 = c00.addingProduct(v, x0); c01 = c01.addingProduct(v, x1)
                v = SIMD8(repeating: w1[wo])
                c10 = c10.addingProduct(v, x0); c11 = c11.addingProduct(v, x1)
                v = SIMD8(repeating: w2[wo])
                c20 = c20.addingProduct(v, x0); c21 = c21.addingProduct(v, x1)
                v = SIMD8(repeating: w3[wo])
                c30 = c30.addingProduct(v, x0); c31 = c31.addingProduct(v, x1)
                v = SIMD8(repeating: w4[wo])
                c40 = c40.addingProduct(v, x0); c41 = c41.addingProduct(v, x1)
                v = SIMD8(repeating: w5[wo])
                c50 = c50.addingProduct(v, x0); c51 = c51.addingProduct(v, x1)
                wo &+= cs
                q += 64
            }
            store(row: row0, cols: col0, count: cols, c00, c01)
            if rows > 1 { store(row: row0 + 1, cols: col0, count: cols, c10, c11) }
            if rows > 2 { store(row: row0 + 2, cols: col0, count: cols, c20, c21) }
            if rows > 3 { store(row: row0 + 3, cols: col0, count: cols, c30, c31) }
            if rows > 4 { store(row: row0 + 4, cols: col0, count: cols, c40, c41) }
            if rows > 5 { store(row: row0 + 5, cols: col0, count: cols, c50, c51) }
        }

        /// min(max(v, lo), hi) lane by lane; written with masks because `clamped` and `pointwiseMin` were not inlined.
        @inline(__always)
        private func clamp(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>) -> SIMD8<Float> {
            let r = v.replacing(with: lo, where: v .< lo)
            return r.replacing(with: hi, where: r .> hi)
        }

        /// Adds the bias or the old C to one row's 16 sums and stores the first `count` of them (and their clamp).
        @inline(__always)
        private func store(row: Int, cols col0: Int, count: Int, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) {
            let offset = row * ldc + col0
            var r0 = v0, r1 = v1
            if count == nr {
                let dst = UnsafeMutableRawPointer(c + offset)
                if accumulate {
                    r0 += dst.loadUnaligned(as: SIMD8<Float>.self)
                    r1 += dst.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                } else if let bias {
                    let bv = SIMD8(repeating: bias[row])
                    r0 += bv; r1 += bv
                }
                if let target = self.clamp {
                    let lo = SIMD8(repeating: target.low), hi = SIMD8(repeating: target.high)
                    let out = UnsafeMutableRawPointer(target.into + offset)
                    if out != dst {
                        dst.storeBytes(of: r0, as: SIMD8<Float>.self)
                        dst.storeBytes(of: r1, toByteOffset: 32, as: SIMD8<Float>.self)
                    }
                    out.storeBytes(of: clamp(r0, lo, hi), as: SIMD8<Float>.self)
                    out.storeBytes(of: clamp(r1, lo, hi), toByteOffset: 32, as: SIMD8<Float>.self)
                } else {
                    dst.storeBytes(of: r0, as: SIMD8<Float>.self)
                    dst.storeBytes(of: r1, toByteOffset: 32, as: SIMD8<Float>.self)
                }
                return
            }
            // The right edge: element by element.
            let b0: Float = accumulate ? 0 : (bias?[row] ?? 0)
            for j in 0..<count {
                var v = (j < 8 ? r0[j] : r1[j - 8]) + b0
                if accumulate { v += c[offset + j] }
                c[offset + j] = v
                if let target = self.clamp { target.into[offset + j] = min(max(v, target.low), target.high) }
            }
        }
    }
}
