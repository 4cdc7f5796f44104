import CBLAS

/// Row-major single-precision matrix products through OpenBLAS.
public enum BLAS {
    /// C[M×N] = alpha · op(A) · op(B) + beta · C, all row-major with the given leading dimensions.
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// OpenBLAS's build description (version, kernel), for benchmark reports.
    public static var configuration: String { String(cString: openblas_get_config()) }
}

extension BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, split into tiles that our own worker threads compute with
    /// single-threaded OpenBLAS calls; `tile(rows, columns)` runs right after each tile, while it is in cache.
    ///
    /// Why not OpenBLAS's own threads: between calls its idle workers spin, taking the second core
    /// from the depthwise and elementwise loops that run between GEMMs; one pool for everything
    /// scales better on a 2-core machine.
    public static func tiledGemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        columnBlock: Int = 2048, tile: ((Range<Int>, Range<Int>) -> Void)? = nil
    ) {
        let threads = Parallel.threads
        if m == 1 && k > 0 {
            // A single row (a classifier on one image) is a matrix-vector product: sgemv streams op(B) once,
            // where sgemm first copied all of it into packed panels (0.59 against onnxruntime's 0.18 ms for
            // EfficientNet's 1280 → 1000 layer).
            Parallel.forChunks(n, maxChunks: threads) { cols, _ in
                guard !cols.isEmpty else { return }
                let bTile = transB ? b + cols.lowerBound * ldb : b + cols.lowerBound
                // Row-major op(B)ᵀ: transB means B is [N, K], so y = B·a without a transpose.
                cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, Int32(transB ? cols.count : k), Int32(transB ? k : cols.count),
                            alpha, bTile, Int32(ldb), a, Int32(transA ? lda : 1), beta, c + cols.lowerBound, 1)
                tile?(0..<1, cols)
            }
            return
        }
        let colTiles = max(1, (n + columnBlock - 1) / columnBlock)
        // Enough column tiles to keep every thread busy; otherwise split the rows too.
        let rowTiles = colTiles >= threads || m < 16 * threads ? 1 : threads
        let colWidth = (n + colTiles - 1) / colTiles, rowHeight = (m + rowTiles - 1) / rowTiles
        Parallel.forEach(rowTiles * colTiles) { t in
            let rows = (t / colTiles * rowHeight) ..< min(m, (t / colTiles + 1) * rowHeight)
            let cols = (t % colTiles * colWidth) ..< min(n, (t % colTiles + 1) * colWidth)
            guard !rows.isEmpty, !cols.isEmpty else { return }
            let aTile = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
            let bTile = transB ? b + cols.lowerBound * ldb : b + cols.lowerBound
            gemm(transA: transA, transB: transB, m: rows.count, n: cols.count, k: k, alpha: alpha, a: aTile, lda: lda,
                 b: bTile, ldb: ldb, beta: beta, c: c + rows.lowerBound * ldc + cols.lowerBound, ldc: ldc)
            tile?(rows, cols)
        }
    }
}
