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

    /// The fraction of `trials` random warps of x for which class `k` is the top-1 output.
    public static func top1Rate(_ x: Tensor, classIndex k: Int, session: Session, space: PixelSpace, trials: Int = 50,
                                jitter: Jitter = testJitter, seed: UInt64 = 12345) -> Double {
        var rng = SeededGenerator(seed: seed)
        let out = session.graph.outputs.first ?? session.graph.values.count - 1
        var hits = 0
        for _ in 0..<trials {
            let warped = AffineWarp.random(jitter, using: &rng).apply(x, width: space.width, height: space.height)
            space.writeNetworkInput(warped, into: session.input)
            session.forward(upTo: out)
            let logits = session.values[out]
            var best = 0
            for i in 0..<logits.count where logits[i] > logits[best] { best = i }
            if best == k { hits += 1 }
        }
        return Double(hits) / Double(trials)
    }
}

/// Random search over the paper's hyperparameters (they tried 300 combinations).
public enum RandomSearch {
    /// A random preset: decay, blur, both clipping percentiles and the step rule, each sometimes off.
    public static func sample(index: Int, iterations: Int, using rng: inout SeededGenerator) -> Preset {
        func logUniform(_ a: Float, _ b: Float) -> Float { a * pow(b / a, Float.random(in: 0...1, using: &rng)) }
        let decay: Float = Bool.random(using: &rng) ? 0 : logUniform(1e-4, 0.3)
        let blurOn = Float.random(in: 0...1, using: &rng) < 0.75
        let width: Float = blurOn ? Float.random(in: 0.3...1.2, using: &rng) : 0
        let every = blurOn ? Int.random(in: 1...8, using: &rng) : 0
        let normPct: Float = Bool.random(using: &rng) ? 0 : Float.random(in: 0...60, using: &rng)
        let contribPct: Float = Bool.random(using: &rng) ? 0 : Float.random(in: 0...90, using: &rng)
        let rule: StepRule = Bool.random(using: &rng)
            ? .constant(logUniform(10, 1000)) : .progress(maxRate: 1e8, desired: logUniform(0.5, 8))
        let regs = Preset.table1(decay: decay, blurWidth: width, blurEvery: every, normPct: normPct, contributionPct: contribPct)
        return Preset(name: "search-\(index)", summary: "random search sample \(index)", iterations: iterations,
                      stepRule: rule, regularizers: regs)
    }
}
