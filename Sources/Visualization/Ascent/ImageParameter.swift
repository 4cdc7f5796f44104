import Foundation
import Tensors

/// The optimizer's variable and how it becomes the image x (paper scale, [1,3,H,W]).
protocol ImageParameter: AnyObject {
    /// What the step rule updates.
    var parameters: Tensor { get }
    /// The image for the current parameters.
    func image() -> Tensor
    /// The direction the step rule takes from d/dx at the current parameters, at `step` of `iterations`; valid until
    /// the next call (it may be a buffer the parameter reuses).
    func parameterGradient(_ imageGradient: Tensor, step: Int, iterations: Int) -> Tensor
    /// Called before each step: keeps the parameters valid (pixels: the 0…255 range).
    func normalize()
}

/// The pixels are the parameters (the paper).
final class PixelParameter: ImageParameter {
    let parameters: Tensor
    let space: PixelSpace
    let preconditioner: PixelPreconditioner

    init(start: Tensor, space: PixelSpace, options: PixelOptions = PixelOptions()) {
        parameters = start.copy()
        self.space = space
        preconditioner = PixelPreconditioner(options: options, width: space.width, height: space.height)
    }

    func image() -> Tensor { parameters }
    func parameterGradient(_ imageGradient: Tensor, step: Int, iterations: Int) -> Tensor {
        preconditioner.apply(imageGradient, step: step, iterations: iterations)
    }
    func normalize() { space.clampToValidPixels(parameters) }
}

/// Lucid's parameterization with a cosine (DCT-II) spectrum instead of the real FFT: the same 1/f
/// scaling on an orthonormal real basis, so the transform and its adjoint are two matrix products.
///
/// x = 255·sigmoid(M · z) − mean, z_c = D_hᵀ (S ⊙ P_c) D_w, S(u, v) = 1 / max(f(u, v), 1/N) / 4,
/// f the basis frequency in cycles per pixel; M is ImageNet's colour-correlation square root.
final class SpectralParameter: ImageParameter {
    let parameters: Tensor
    let space: PixelSpace
    private let dh: Tensor, dw: Tensor, scale: [Float]
    private var sigmoid: [Float]
    /// Buffers of every step, made once: a fresh one per step was pages mapped, faulted in and unmapped each time.
    private let work: Tensor, tmp: Tensor, tmp2: Tensor, x: Tensor, gradient: Tensor

    /// Lucid's `color_correlation_svd_sqrt`, normalized by its largest column norm.
    static let colour: [Float] = {
        let m: [Float] = [0.26, 0.09, 0.02, 0.27, 0.00, -0.05, 0.27, -0.09, 0.03]
        let maxNorm = (0..<3).map { c in (0..<3).reduce(Float(0)) { $0 + m[$1 * 3 + c] * m[$1 * 3 + c] }.squareRoot() }.max()!
        return m.map { $0 / maxNorm }
    }()

    init(space: PixelSpace, rng: inout SeededGenerator) {
        self.space = space
        let h = space.height, w = space.width
        parameters = Tensor(shape: space.shape)
        for i in 0..<parameters.count { parameters[i] = 0.01 * rng.normal() }
        dh = Self.dctMatrix(h)
        dw = Self.dctMatrix(w)
        let n = Float(max(h, w))
        scale = (0..<(h * w)).map { i in
            let fy = Float(i / w) / Float(2 * h), fx = Float(i % w) / Float(2 * w)
            return 1 / max((fy * fy + fx * fx).squareRoot(), 1 / n) / 4
        }
        work = Tensor(shape: space.shape); tmp = Tensor(shape: [h, w]); tmp2 = Tensor(shape: [h, w]); x = Tensor(shape: space.shape)
        gradient = Tensor(shape: space.shape)
        sigmoid = [Float](repeating: 0, count: 3 * h * w)
    }

    /// Orthonormal DCT-II matrix D[k, n] = α_k cos(π(2n+1)k / 2N).
    static func dctMatrix(_ n: Int) -> Tensor {
        let d = Tensor(shape: [n, n])
        for k in 0..<n {
            let a = k == 0 ? (1 / Double(n)).squareRoot() : (2 / Double(n)).squareRoot()
            for j in 0..<n { d[k * n + j] = Float(a * cos(Double.pi * Double(2 * j + 1) * Double(k) / Double(2 * n))) }
        }
        return d
    }

    func normalize() {}

    func image() -> Tensor {
        let h = space.height, w = space.width, plane = h * w
        for c in 0..<3 {
            let p = parameters.data + c * plane
            for i in 0..<plane { tmp.data[i] = p[i] * scale[i] }
            // z = D_hᵀ · (S⊙P) · D_w
            BLAS.gemm(transA: true, m: h, n: w, k: h, a: dh.data, lda: h, b: tmp.data, ldb: w, c: tmp2.data, ldc: w)
            BLAS.gemm(m: h, n: w, k: w, a: tmp2.data, lda: w, b: dw.data, ldb: w, c: work.data + c * plane, ldc: w)
        }
        let m = Self.colour
        for i in 0..<plane {
            let z = (work[i], work[plane + i], work[2 * plane + i])
            for c in 0..<3 {
                let y = m[c * 3] * z.0 + m[c * 3 + 1] * z.1 + m[c * 3 + 2] * z.2
                let s = 1 / (1 + exp(-y))
                sigmoid[c * plane + i] = s
                x[c * plane + i] = 255 * s - space.mean[c]
            }
        }
        return x
    }

    func parameterGradient(_ g: Tensor, step: Int, iterations: Int) -> Tensor {
        let h = space.height, w = space.width, plane = h * w, m = Self.colour
        let out = gradient
        // dz = Mᵀ · (255 σ(1−σ) ⊙ dx)
        for i in 0..<plane {
            func dy(_ c: Int) -> Float { let s = sigmoid[c * plane + i]; return 255 * s * (1 - s) * g[c * plane + i] }
            let dy0 = dy(0), dy1 = dy(1), dy2 = dy(2)
            for c in 0..<3 { work[c * plane + i] = m[c] * dy0 + m[3 + c] * dy1 + m[6 + c] * dy2 }
        }
        for c in 0..<3 {
            // dP = S ⊙ (D_h · dz · D_wᵀ)
            BLAS.gemm(m: h, n: w, k: h, a: dh.data, lda: h, b: work.data + c * plane, ldb: w, c: tmp.data, ldc: w)
            BLAS.gemm(transB: true, m: h, n: w, k: w, a: tmp.data, lda: w, b: dw.data, ldb: w, c: out.data + c * plane, ldc: w)
            for i in 0..<plane { out[c * plane + i] *= scale[i] }
        }
        return out
    }
}
