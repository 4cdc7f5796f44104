import Foundation
import NeuralNetwork
import Tensors

/// Scores that adversarial noise cannot game: an image only counts if it still works after random
/// shifts, rescalings and rotations (noise tuned to exact pixel positions does not survive them).
public enum Robustness {
    /// The default test transformations: ±16 px, scale 0.85–1.15, ±10°.
    public static let testJitter = Jitter(shift: 16, scale: 0.85...1.15, degrees: 10)

    /// The objective averaged over `trials` random warps of x (paper scale).
    public static func meanObjective(_ x: Tensor, evaluator: ObjectiveEvaluator, trials: Int = 16,
                                     jitter: Jitter = testJitter, seed: UInt64 = 12345) throws -> Float {
        var rng = SeededGenerator(seed: seed)
        let space = evaluator.space
        var sum: Float = 0
        for _ in 0..<trials {
            let warped = AffineWarp.random(jitter, using: &rng).apply(x, width: space.width, height: space.height)
            sum += try evaluator.evaluate(warped).value
        }
        return sum / Float(trials)
    }
}
