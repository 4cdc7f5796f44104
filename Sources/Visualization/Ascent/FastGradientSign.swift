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

extension FastGradientSign {
    /// Kurakin et al.'s basic iterative method: `iterations` signed steps of `stepSize`, each followed by
    /// projection onto the ε-ball around x (max-norm) and onto valid pixels. `onStep(i, logits)` sees the
    /// network's logits for the image after step i (1-based).
    public static func iterate(_ x: Tensor, classIndex k: Int, epsilon: Float, stepSize: Float, iterations: Int, toward: Bool,
                               session: Session, space: PixelSpace, onStep: (Int, [Float]) -> Void = { _, _ in }) throws -> Tensor {
        let ev = try ObjectiveEvaluator(.logProbability(k), session: session, space: space)
        let out = x.copy()
        let s: Float = toward ? stepSize : -stepSize
        let output = session.graph.outputs.first ?? session.graph.values.count - 1
        for i in 0..<iterations {
            let g = try ev.evaluate(out).gradient
            for j in 0..<out.count where g[j] != 0 {
                let moved = out[j] + (g[j] > 0 ? s : -s)
                out[j] = min(max(moved, x[j] - epsilon), x[j] + epsilon)
            }
            space.clampToValidPixels(out)
            space.writeNetworkInput(out, into: session.input)
            session.forward(upTo: output)
            onStep(i + 1, session.values[output].array)
        }
        return out
    }
}
