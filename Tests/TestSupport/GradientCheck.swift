import Foundation
import NeuralNetwork
import Tensors
import Testing

/// The outcome of a finite-difference gradient check.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// Largest |analytic − numeric|.
    public var maxAbsError: Double
    /// Largest |analytic − numeric| / max(|analytic|, |numeric|) over elements of meaningful size
    /// (at least 1% of the largest numeric gradient), so round-off on near-zero entries doesn't dominate.
    public var maxRelError: Double
    /// How many input elements were checked.
    public var checked: Int

    public var description: String {
        String(format: "%d elements, max rel error %.2e, max abs error %.2e", checked, maxRelError, maxAbsError)
    }
}

/// Checks Session.backward against central differences of the scalar Σ w·y, with y the value
/// `output` of `graph` and w a seeded random weight tensor; differentiates `graph.inputs[0]`.
///
/// `inputs` are the values of all graph inputs, in order. Each input element is moved by ±`step`
/// (the perturbed values are re-read as Float, so the divisor is exact) and Σ w·y is summed in
/// Double. Passes when |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|) everywhere.
@discardableResult
public func checkGradient(graph: Graph, output: Int, inputs: [Tensor], step: Float = 1e-2,
                          rtol: Double = 1e-3, atol: Double = 1e-4, seed: UInt64 = 7, label: String = "",
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> GradientCheckResult {
    let s = Session(graph: graph)
    for (id, t) in zip(graph.inputs, inputs) { s.values[id].assign(t) }
    var rng = SplitMix64(seed: seed)
    let w = Tensor.random(graph.values[output].shape, in: -1...1, using: &rng)
    let y = s.values[output]
    func objective() -> Double {
        s.forward()
        var sum = 0.0
        for i in 0..<y.count { sum += Double(w[i]) * Double(y[i]) }
        return sum
    }
    _ = objective()
    let analytic = try s.backward(from: output, seed: .tensor(w)).copy()
    let x = s.values[graph.inputs[0]]
    let numeric = Tensor(shape: x.shape)
    for i in 0..<x.count {
        let x0 = x[i]
        x[i] = x0 + step
        let up = Double(x[i]), fUp = objective()
        x[i] = x0 - step
        let down = Double(x[i]), fDown = objective()
        x[i] = x0
        numeric[i] = Float((fUp - fDown) / (up - down))
    }
    let result = compareGradients(analytic, numeric)
    let worst = (0..<x.count).max { excess(analytic[$0], numeric[$0], rtol, atol) < excess(analytic[$1], numeric[$1], rtol, atol) }
    if let i = worst, excess(analytic[i], numeric[i], rtol, atol) > 0 {
        Issue.record("gradient check \(label) failed: \(result); worst at \(index(i, in: x.shape)): analytic \(analytic[i]), numeric \(numeric[i])",
                     sourceLocation: sourceLocation)
    }
    print("gradient check \(label): \(result)")
    return result
}

/// How far |a − n| exceeds the allowed atol + rtol·max(|a|, |n|) (positive = failure).
private func excess(_ a: Float, _ n: Float, _ rtol: Double, _ atol: Double) -> Double {
    let a = Double(a), n = Double(n)
    let e = abs(a - n) - (atol + rtol * max(abs(a), abs(n)))
    return e.isNaN ? .infinity : e
}

/// Max absolute and (meaningful-size) relative error between analytic and numeric gradients.
private func compareGradients(_ analytic: Tensor, _ numeric: Tensor) -> GradientCheckResult {
    var scale = 0.0
    for i in 0..<numeric.count { scale = max(scale, abs(Double(numeric[i]))) }
    var r = GradientCheckResult(maxAbsError: 0, maxRelError: 0, checked: numeric.count)
    for i in 0..<numeric.count {
        let a = Double(analytic[i]), n = Double(numeric[i]), err = abs(a - n)
        r.maxAbsError = max(r.maxAbsError, err)
        let size = max(abs(a), abs(n))
        if size >= 0.01 * scale, size > 0 { r.maxRelError = max(r.maxRelError, err / size) }
    }
    return r
}

/// Gradient check of one op: input `wrt` is varied, the others are held constant.
@discardableResult
public func checkGradient(_ op: any Op, inputs: [Tensor], wrt: Int = 0, step: Float = 1e-2,
                          rtol: Double = 1e-3, atol: Double = 1e-4, label: String? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> GradientCheckResult {
    let (g, y) = try singleNodeGraph(op, inputs: inputs, wrt: wrt)
    let name = label ?? "\(op.kind) \(inputs.map(\.shape)) wrt \(wrt)"
    return try checkGradient(graph: g, output: y, inputs: [inputs[wrt]], step: step, rtol: rtol, atol: atol,
                             label: name, sourceLocation: sourceLocation)
}
