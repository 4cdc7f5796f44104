import Tensors
import TestSupport
import Synchronization
import Testing

/// `BLAS.tiledGemm`'s single-row path (sgemv, split over threads) against the definition, for every transpose.
@Suite struct BLASTests {
    @Test(arguments: [1, 2])
    func singleRowProductMatchesDefinition(threads: Int) {
        Parallel.threads = threads
        defer { Parallel.threads = 1 }
        var rng = SplitMix64(seed: 41)
        let (k, n): (Int, Int) = (37, 203)
        let (alpha, beta): (Float, Float) = (0.7, 1.3)
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = Tensor.random(transA ? [k, 1] : [1, k], using: &rng)
            let b = Tensor.random(transB ? [n, k] : [k, n], using: &rng)
            let c = Tensor.random([1, n], using: &rng)
            var expected = [Float](repeating: 0, count: n)
            for j in 0..<n {
                var acc = 0.0
                for kk in 0..<k { acc += Double(a[kk]) * Double(transB ? b[j * k + kk] : b[kk * n + j]) }
                expected[j] = Float(Double(alpha) * acc + Double(beta) * Double(c[j]))
            }
            let tiles = Mutex<[Range<Int>]>([])   // the callback runs on the worker threads
            BLAS.tiledGemm(transA: transA, transB: transB, m: 1, n: n, k: k, alpha: alpha, a: a.data, lda: a.shape[1],
                           b: b.data, ldb: b.shape[1], beta: beta, c: c.data, ldc: n) { rows, cols in
                #expect(rows == 0..<1)
                tiles.withLock { $0.append(cols) }
            }
            assertClose(c, Tensor(shape: [1, n], values: expected), "tA \(transA) tB \(transB)")
            // The tile callback sees every column exactly once.
            #expect(tiles.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }.flatMap { Array($0) } == Array(0..<n))
        }
    }
}
