import Foundation
import Tensors

/// Which matrix product a convolution's GEMM path uses: our `PointwiseKernel` or OpenBLAS.
///
/// Decided per shape when a session is planned, from the per-layer benchmark (BENCHMARKS.md,
/// `Scripts/bench-layers`). `DEEPVIS_GEMM=blas` or `=own` forces one side, for that benchmark.
enum GEMMChoice {
    static let forced: String? = ProcessInfo.processInfo.environment["DEEPVIS_GEMM"]

    /// Whether C[m×n] = A[m×k]·B[k×n] should use our kernel.
    static func ownKernel(m: Int, n: Int, k: Int) -> Bool {
        switch forced {
        case "blas": return false
        case "own": return true
        default: return true
        }
    }
}

extension ClampEpilogue {
    /// This clamp as the kernel's store target, for a result starting at element `offset`.
    func target(offset: Int) -> ClampTarget { ClampTarget(low: low, high: high, into: output.data + offset) }
}
