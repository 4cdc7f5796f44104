import Foundation
import Imaging
import Tensors

/// One recorded moment of an optimization.
public struct HistoryEntry: Sendable {
    /// The step (0-based) whose image this is, before that step's update.
    public var step: Int
    public var image: RGBImage
    /// The objective (score) of the image.
    public var objective: Float
    /// The first term's unweighted value (the unit's activation for a unit objective).
    public var activation: Float

    /// The image at `step`, scoring `objective`, with first-term value `activation`.
    public init(step: Int, image: RGBImage, objective: Float, activation: Float) {
        self.step = step
        self.image = image
        self.objective = objective
        self.activation = activation
    }
}

/// Why a run ended.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    case finished
    case cancelled(step: Int)
    /// Repeated non-finite values or gradients despite reverting to the best image and halving the step.
    case diverged(step: Int, message: String)

    public var description: String {
        switch self {
        case .finished: return "finished"
        case let .cancelled(s): return "cancelled at step \(s)"
        case let .diverged(s, m): return "stopped at step \(s): \(m)"
        }
    }
}

/// Progress published after every step (the CLI's bar, the viewer's live view).
public struct AscentProgress: Sendable {
    public var step: Int
    public var iterations: Int
    public var objective: Float
    public var bestObjective: Float

    public init(step: Int, iterations: Int, objective: Float, bestObjective: Float) {
        self.step = step; self.iterations = iterations; self.objective = objective; self.bestObjective = bestObjective
    }
}

/// The outcome: the best image seen (by objective), the last one, and the history.
public struct AscentResult: Sendable {
    /// The best image for display (contrast-stretched only when faint, see `PixelSpace.displayImage`).
    public var best: RGBImage
    /// The best image as the network saw it (x + mean).
    public var bestAsSeen: RGBImage
    /// The best image in paper scale (x = pixel − mean).
    public var bestTensor: Tensor
    public var bestObjective: Float
    public var bestStep: Int
    public var last: RGBImage
    public var history: [HistoryEntry]
    public var stop: StopReason
    /// How many non-finite steps were recovered from.
    public var recoveries: Int
}

/// Regularized gradient ascent on an image (Yosinski et al. 2015), one preset at a time.
///
/// Deterministic for a given seed. Not thread-safe; the caller may run it on a background thread
/// and stop it through `shouldStop`, which is checked before every step.
public final class GradientAscent {
    public let evaluator: ObjectiveEvaluator
    public let preset: Preset
    public var iterations: Int
    public var seed: UInt64
    /// Record the image every `historyEvery` steps (and the last step); 0 records nothing.
    public var historyEvery: Int
    /// The start image (paper scale); nil starts from N(0, σ²) noise around the mean as the toolbox does.
    public var start: Tensor?
    /// Checked before every step; return true to stop (the best image so far is kept).
    public var shouldStop: () -> Bool = { false }
    /// Called after every step.
    public var onProgress: ((AscentProgress) -> Void)?
    /// Called with each history entry as it is recorded (the live viewer shows the image growing).
    public var onHistory: ((HistoryEntry) -> Void)?
    /// Sees (and may alter) each step's gradient before it is used: lets tests inject faults.
    public var gradientHook: ((Int, Tensor) -> Void)?
    /// Show images contrast-stretched (the paper's faint pixel-preset images) or as the network sees them;
    /// nil: for pixel presets started from noise, stretched only when faint (`PixelSpace.displayImage`).
    public var stretchDisplay: Bool?
    /// How many consecutive non-finite steps are recovered from before giving up.
    public var maxRecoveries = 3

    public init(evaluator: ObjectiveEvaluator, preset: Preset, iterations: Int? = nil, seed: UInt64 = 0, historyEvery: Int = 0) {
        self.evaluator = evaluator
        self.preset = preset
        self.iterations = iterations ?? preset.iterations
        self.seed = seed
        self.historyEvery = historyEvery
    }

    /// Runs the preset; throws only the objective's own errors (a non-finite run ends with `.diverged`).
    public func run() throws -> AscentResult {
        let space = evaluator.space
        var rng = SeededGenerator(seed: seed)
        let param = makeParameter(space: space, rng: &rng)
        var rule = StepState(rule: preset.stepRule, count: param.parameters.count)
        let bestX = param.image().copy(), bestParams = param.parameters.copy()
        var bestValue = -Float.infinity, bestStep = 0
        var history: [HistoryEntry] = []
        var stop = StopReason.finished
        var recoveries = 0, failures = 0, lastImage = bestX
        // The jittered image and its gradient's adjoint, reused every step: fresh buffers of this size are pages mapped and
        // unmapped at every step, each page's first write a fault and each unmapping a TLB shootdown on the other core.
        let warped = preset.jitter.map { _ in (image: Tensor(shape: bestX.shape), gradient: Tensor(shape: bestX.shape)) }
        var step = 0
        while step < iterations {
            if shouldStop() { stop = .cancelled(step: step); break }
            param.normalize()
            let x = param.image()
            let warp = preset.jitter.map { AffineWarp.random($0, using: &rng) }
            var seen = x
            if let warp, let warped {
                warp.apply(x, into: warped.image, width: space.width, height: space.height)
                seen = warped.image
            }
            let value = try evaluator.evaluate(seen)
            gradientHook?(step, value.gradient)
            guard value.value.isFinite, value.gradient.buffer.allSatisfy(\.isFinite) else {
                failures += 1
                recoveries += 1
                if failures > maxRecoveries {
                    stop = .diverged(step: step, message: "objective or gradient not finite \(failures) times in a row; kept the best image (step \(bestStep))")
                    break
                }
                // Revert to the best point and take smaller steps from there.
                param.parameters.assign(bestParams)
                rule.shrink()
                continue
            }
            failures = 0
            if value.value > bestValue {
                bestValue = value.value; bestStep = step
                bestX.assign(x); bestParams.assign(param.parameters)
            }
            lastImage = x
            if historyEvery > 0 && (step % historyEvery == 0 || step == iterations - 1) {
                let entry = HistoryEntry(step: step, image: display(x), objective: value.value, activation: value.termValues.first ?? 0)
                history.append(entry)
                onHistory?(entry)
            }
            onProgress?(AscentProgress(step: step, iterations: iterations, objective: value.value, bestObjective: bestValue))
            // Like the toolbox, the last step only measures, so the reported values describe the final image.
            if step < iterations - 1 {
                var g = value.gradient
                if let warp, let warped {
                    warp.adjoint(value.gradient, into: warped.gradient, width: space.width, height: space.height)
                    g = warped.gradient
                }
                rule.ascend(param.parameters, gradient: param.parameterGradient(g, step: step, iterations: iterations))
                for r in preset.regularizers where param is PixelParameter {
                    r.apply(to: param.parameters, gradient: g, step: step, width: space.width, height: space.height)
                }
            }
            step += 1
        }
        return AscentResult(best: display(bestX), bestAsSeen: space.image(bestX), bestTensor: bestX, bestObjective: bestValue, bestStep: bestStep,
                            last: display(lastImage), history: history, stop: stop, recoveries: recoveries)
    }

    /// Pixel presets often make faint images around the mean: show those stretched, as the paper does.
    private func display(_ x: Tensor) -> RGBImage {
        if let stretchDisplay { return stretchDisplay ? evaluator.space.stretchedImage(x) : evaluator.space.image(x) }
        if case .pixels = preset.parameterization, start == nil { return evaluator.space.displayImage(x) }
        return evaluator.space.image(x)
    }

    private func makeParameter(space: PixelSpace, rng: inout SeededGenerator) -> ImageParameter {
        switch preset.parameterization {
        case let .pixels(std):
            let x0 = start?.copy() ?? Tensor(shape: space.shape)
            if start == nil { for i in 0..<x0.count { x0[i] = std * rng.normal() } }
            return PixelParameter(start: x0, space: space, options: preset.pixelOptions ?? PixelOptions())
        case .spectral:
            return SpectralParameter(space: space, rng: &rng)
        }
    }
}

/// The step rule's state (Adam's moments) and the step-size multiplier that recovery halves.
struct StepState {
    let rule: StepRule
    var factor: Float = 1
    var m: [Float] = [], v: [Float] = []
    var t = 0

    init(rule: StepRule, count: Int) {
        self.rule = rule
        if case .adam = rule { m = .init(repeating: 0, count: count); v = m }
    }

    mutating func shrink() { factor /= 2 }

    /// p ← p + step(∇).
    mutating func ascend(_ p: Tensor, gradient g: Tensor) {
        switch rule {
        case let .constant(rate):
            let k = rate * factor
            for i in 0..<p.count { p.data[i] += k * g.data[i] }
        case let .progress(maxRate, desired):
            let n2 = g.buffer.reduce(Float(0)) { $0 + $1 * $1 }
            let k = min(maxRate, desired / max(n2, .leastNormalMagnitude)) * factor
            for i in 0..<p.count { p.data[i] += k * g.data[i] }
        case let .normalized(rate):
            let mean = g.buffer.reduce(Float(0)) { $0 + abs($1) } / Float(max(g.count, 1))
            let k = rate / max(mean, .leastNormalMagnitude) * factor
            for i in 0..<p.count { p.data[i] += k * g.data[i] }
        case let .adam(rate):
            t += 1
            let b1: Float = 0.9, b2: Float = 0.999
            let c1 = 1 - pow(b1, Float(t)), c2 = 1 - pow(b2, Float(t)), k = rate * factor
            for i in 0..<p.count {
                let gi = g.data[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p.data[i] += k * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
            }
        }
    }
}
