import NeuralNetwork
import Tensors

/// Goodfellow et al.'s fast gradient sign method: one step of size ε (0…255 pixel units) along the
/// sign of d log p(k)/dx, toward class k or away from it.
public enum FastGradientSign {
    /// The perturbed image x' = clamp(x ± ε·sign(∇ log p(k))), paper scale; `toward` picks the sign.
    public static func perturb(_ x: Tensor, classIndex k: Int, epsilon: Float, toward: Bool,
                               session: Session, space: PixelSpace) throws -> Tensor {
        let ev = try ObjectiveEvaluator(.logProbability(k), session: session, space: space)
        let g = try ev.evaluate(x).gradient
        let out = x.copy()
        let s: Float = toward ? epsilon : -epsilon
        for i in 0..<out.count where g[i] != 0 { out[i] += g[i] > 0 ? s : -s }
        space.clampToValidPixels(out)
        return out
    }
}
