import Tensors
import TensorsAVX512
import TestSupport
import Testing

/// The register-blocked 1×1 product, AVX2 and AVX-512 builds, against a naive triple loop at sizes that are not
/// multiples of its tiles (6×16 and 6×32).
@Suite struct PointwiseKernelTests {
    struct Case: CustomStringConvertible, Sendable {
        var m: Int, n: Int, k: Int, transposed = false, accumulate = false, bias = true, clamp = false, inPlace = false
        var description: String { "m\(m) n\(n) k\(k)\(transposed ? " Aᵀ" : "")\(accumulate ? " +=" : "")\(clamp ? " clamp" : "")\(inPlace ? " in place" : "")" }
    }

    static let cases: [Case] = [
        Case(m: 1, n: 1, k: 1),                                   // a 1×1 map, one channel
        Case(m: 5, n: 49, k: 7),                                  // 7×7 map: strips and an edge, a short row block
        Case(m: 12, n: 64, k: 5, clamp: true),                    // exact tiles for both widths
        Case(m: 8, n: 24, k: 16, clamp: true),                    // exact tiles, clamp into a second buffer
        Case(m: 13, n: 197, k: 33, clamp: true, inPlace: true),   // odd everything, clamp overwriting the result
        Case(m: 6, n: 100, k: 9, bias: false),                    // no bias
        Case(m: 7, n: 53, k: 11, transposed: true, accumulate: true), // backward's form: C += Aᵀ·B
        Case(m: 96, n: 3136, k: 24, clamp: true),                 // a real expand shape, split over column strips
        Case(m: 40, n: 30, k: 144),                               // few strips: split over row blocks
        Case(m: 37, n: 66, k: 13, transposed: true, accumulate: true), // two columns left: products along A's rows
        Case(m: 20, n: 34, k: 40, clamp: true),                   // two columns left: dot products along k
        Case(m: 9, n: 3, k: 70, clamp: true, inPlace: true),      // three columns in all, clamped in place
        Case(m: 13, n: 48, k: 9, clamp: true),                    // a whole one-vector strip after a full strip
        Case(m: 7, n: 11, k: 5, transposed: true, bias: false),   // one padded one-vector strip, A read transposed
        Case(m: 203, n: 49, k: 340, clamp: true),                 // A large enough to be prefetched block by block
        Case(m: 30, n: 196, k: 112, clamp: true),                 // 14×14 expand: four columns left, four rows at a time and two
        Case(m: 300, n: 49, k: 230, transposed: true, accumulate: true), // backward's form on a 7×7 map: a strip, a one-vector strip, a column
        Case(m: 150, n: 211, k: 500, clamp: true, inPlace: true), // strips, a one-vector strip and three columns, clamped in place
    ]

    /// The clamp both vector widths store with: each bound, values on them, infinities, and NaN kept as NaN (as
    /// `v < lo ? lo : v` then `r > hi ? hi : r` would leave it) rather than turned into a bound.
    @Test func vectorClampHoldsBothBoundsAndKeepsNaN() {
        let input: [Float] = [-.infinity, -1, 0, 3, 6, 7, .infinity, .nan]
        let expected: [Float] = [0, 0, 0, 3, 6, 6, 6, .nan]
        func check<V: KernelVector>(_: V.Type) {
            var v = V()
            for lane in 0..<V.lanes { withUnsafeMutableBytes(of: &v) { $0.storeBytes(of: input[lane % 8], toByteOffset: 4 * lane, as: Float.self) } }
            let r = v.clamped(V(repeating: 0), V(repeating: 6))
            for lane in 0..<V.lanes {
                if expected[lane % 8].isNaN { #expect(r[lane].isNaN, "lane \(lane) of \(V.lanes)") }
                else { #expect(r[lane] == expected[lane % 8], "lane \(lane) of \(V.lanes)") }
            }
        }
        check(SIMD8<Float>.self)
        if PointwiseAVX512.supported { check(SIMD16<Float>.self) }
    }

    /// The machines this project runs on (FACTS.md: AMD EPYC with AVX-512) must take the AVX-512 path.
    @Test func thisMachineHasAVX512() {
        #expect(PointwiseAVX512.supported, "no AVX-512 F/CD/BW/DQ/VL in /proc/cpuinfo: the AVX-512 kernel is untested here")
    }

    @Test(arguments: cases, [1, 2, 3])
    func matchesNaiveLoop(_ c: Case, threads: Int) {
        Parallel.threads = threads
        defer { Parallel.threads = 1 }
        var rng = SplitMix64(seed: 21)
        // A is M×K, or stored K×M and read transposed.
        let a = Tensor.random(c.transposed ? [c.k, c.m] : [c.m, c.k], using: &rng)
        let b = Tensor.random([c.k, c.n], using: &rng)
        let bias = Tensor.random([c.m], using: &rng)
        let start = Tensor.random([c.m, c.n], using: &rng)
        let (low, high): (Float, Float) = (-0.5, 0.75)
        var expected = [Double](repeating: 0, count: c.m * c.n)
        for i in 0..<c.m { for j in 0..<c.n {
            var acc = c.accumulate ? Double(start[i * c.n + j]) : (c.bias ? Double(bias[i]) : 0)
            for kk in 0..<c.k { acc += Double(c.transposed ? a[kk * c.m + i] : a[i * c.k + kk]) * Double(b[kk * c.n + j]) }
            expected[i * c.n + j] = acc
        } }
        let raw = Tensor(shape: [c.m, c.n], values: expected.map { Float($0) })
        let clamped = Tensor(shape: [c.m, c.n], values: expected.map { Float(min(max($0, Double(low)), Double(high))) })
        for wide in PointwiseAVX512.supported ? [false, true] : [false] {
            let y = start.copy(), activated = Tensor(shape: [c.m, c.n])
            let target = c.clamp ? ClampTarget(low: low, high: high, into: c.inPlace ? y.data : activated.data) : nil
            let multiply = wide ? PointwiseAVX512.multiply : PointwiseKernel.multiply
            multiply(c.m, c.n, c.k, a.data, c.transposed ? 1 : c.k, c.transposed ? c.m : 1, b.data, c.n,
                     c.bias ? bias.data : nil, c.accumulate, y.data, c.n, target)
            let what = wide ? "AVX-512" : "AVX2"
            if c.clamp && c.inPlace {
                assertClose(y, clamped, "\(what) clamped in place")
            } else {
                assertClose(y, raw, "\(what) product")
                if c.clamp { assertClose(activated, clamped, "\(what) clamp copy") }
            }
        }
    }

    @Test func writesOnlyItsOwnBlockOfALargerMatrix() {
        var rng = SplitMix64(seed: 22)
        let (m, n, k, ldc) = (5, 30, 4, 37)
        let a = Tensor.random([m, k], using: &rng), b = Tensor.random([k, n], using: &rng)
        let c = Tensor(shape: [m + 1, ldc], repeating: 7)
        PointwiseKernel.multiply(m: m, n: n, k: k, a: a.data, aRowStride: k, aColStride: 1, b: b.data, ldb: n, bias: nil,
                                 accumulate: false, c: c.data, ldc: ldc)
        for i in 0..<(m + 1) { for j in 0..<ldc where i == m || j >= n { #expect(c[i * ldc + j] == 7) } }
        var acc: Float = 0
        for kk in 0..<k { acc += a[(m - 1) * k + kk] * b[kk * n + n - 1] }
        #expect(abs(c[(m - 1) * ldc + n - 1] - acc) < 1e-5)
    }
}
