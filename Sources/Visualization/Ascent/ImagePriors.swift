import Foundation
import Tensors

extension Objective.Kind {
    /// Value of an image-space prior at x [1,3,H,W]; adds `weight` · d(value)/dx into `gradient`.
    func imagePrior(_ x: Tensor, width: Int, height: Int, weight: Float, into gradient: Tensor) -> Float {
        switch self {
        case let .alphaNorm(alpha, range):
            return ImagePriors.alphaNorm(x, alpha: alpha, range: range, pixels: width * height, weight: weight, into: gradient)
        case let .totalVariation(beta, range):
            return ImagePriors.totalVariation(x, width: width, height: height, beta: beta, range: range, weight: weight, into: gradient)
        default:
            preconditionFailure("layer term evaluated as an image prior")
        }
    }
}

/// Mahendran & Vedaldi's (2015) natural-image priors, normalized by the pixel count and a typical range.
public enum ImagePriors {
    /// Σ|x|^α / (P·B^α) for P pixels; adds `weight` times its gradient into `gradient`.
    public static func alphaNorm(_ x: Tensor, alpha: Float, range: Float, pixels: Int, weight: Float, into gradient: Tensor) -> Float {
        let norm = 1 / (Float(pixels) * pow(range, alpha))
        var s: Float = 0
        for i in 0..<x.count {
            let v = x[i], m = abs(v)
            s += pow(m, alpha)
            gradient[i] += weight * norm * alpha * pow(m, alpha - 1) * (v < 0 ? -1 : 1)
        }
        return s * norm
    }

    /// Σ over channels and pixels of ((∂x/∂u)² + (∂x/∂v)²)^(β/2) / (P·V^β), forward differences
    /// (zero past the last row and column); adds `weight` times its gradient into `gradient`.
    public static func totalVariation(_ x: Tensor, width w: Int, height h: Int, beta: Float, range: Float,
                                      weight: Float, into gradient: Tensor) -> Float {
        let norm = 1 / (Float(w * h) * pow(range, beta))
        var s: Float = 0
        for c in 0..<(x.count / (w * h)) {
            let o = c * w * h
            for y in 0..<h {
                for xx in 0..<w {
                    let i = o + y * w + xx
                    let dx = xx + 1 < w ? x[i + 1] - x[i] : 0
                    let dy = y + 1 < h ? x[i + w] - x[i] : 0
                    let r = dx * dx + dy * dy
                    guard r > 0 else { continue }
                    s += pow(r, beta / 2)
                    // d r^(β/2) / d dx = β r^(β/2 − 1) dx
                    let k = weight * norm * beta * pow(r, beta / 2 - 1)
                    if xx + 1 < w { gradient[i + 1] += k * dx; gradient[i] -= k * dx }
                    if y + 1 < h { gradient[i + w] += k * dy; gradient[i] -= k * dy }
                }
            }
        }
        return s * norm
    }
}
