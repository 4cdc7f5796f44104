import Foundation
import Tensors
import TensorsAVX512

/// Which kernels the convolutions use: for the GEMM paths our `PointwiseKernel` or OpenBLAS, and for
/// ours and the depthwise loop, AVX-512 vectors where the CPU has them, else AVX2.
///
/// Decided per shape when a session is planned, from the per-layer benchmark (BENCHMARKS.md,
/// `Scripts/bench-layers`). For that benchmark, `DEEPVIS_GEMM=blas` (OpenBLAS for the GEMMs) or `=avx2` (no AVX-512 anywhere) forces one side.
enum KernelChoice {
    static let forced: String? = ProcessInfo.processInfo.environment["DEEPVIS_GEMM"]
    /// Whether our kernel runs with AVX-512 vectors.
    static let wide = PointwiseAVX512.supported && forced != "avx2"

    /// Whether C[m×n] = A[m×k]·B[k×n] should use our kernel. The per-layer benchmark (BENCHMARKS.md) found it
    /// faster than OpenBLAS on every convolution shape of EfficientNet-Lite0, so no shape goes to OpenBLAS yet;
    /// the shape is passed so that a measured exception has one place to go.
    static func ownKernel(m: Int, n: Int, k: Int) -> Bool {
        forced != "blas"
    }

    /// `PointwiseKernel.multiply` in the widest vectors this CPU has.
    @inline(__always)
    static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, aRowStride: Int, aColStride: Int,
                         b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                         c: UnsafeMutablePointer<Float>, ldc: Int, clamp: ClampTarget? = nil) {
        if wide {
            PointwiseAVX512.multiply(m: m, n: n, k: k, a: a, aRowStride: aRowStride, aColStride: aColStride, b: b, ldb: ldb,
                                     bias: bias, accumulate: accumulate, c: c, ldc: ldc, clamp: clamp)
        } else {
            PointwiseKernel.multiply(m: m, n: n, k: k, a: a, aRowStride: aRowStride, aColStride: aColStride, b: b, ldb: ldb,
                                     bias: bias, accumulate: accumulate, c: c, ldc: ldc, clamp: clamp)
        }
    }
}

extension ClampEpilogue {
    /// This clamp as the kernel's store target, for a result starting at element `offset`.
    func target(offset: Int) -> ClampTarget { ClampTarget(low: low, high: high, into: output.data + offset) }
}
