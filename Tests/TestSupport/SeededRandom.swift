import Tensors

/// The engine's seeded generator (SplitMix64) under the name the tests use.
public typealias SplitMix64 = SeededGenerator

extension Tensor {
    /// A tensor of uniform random values in `range`, redrawn while closer than `margin` to any of `kinks`
    /// (so finite differences don't straddle a non-differentiable point).
    public static func random(_ shape: [Int], in range: ClosedRange<Float> = -1...1, avoiding kinks: [Float] = [],
                              margin: Float = 0.05, using rng: inout SplitMix64) -> Tensor {
        let t = Tensor(shape: shape)
        for i in 0..<t.count {
            var v: Float
            repeat { v = Float.random(in: range, using: &rng) } while kinks.contains { abs(v - $0) < margin }
            t[i] = v
        }
        return t
    }

    /// A tensor whose values are a random permutation of distinct values `spacing` apart, centred on 0
    /// (no ties, so max-pool switches and sorts are stable under small perturbations).
    public static func distinct(_ shape: [Int], spacing: Float = 0.05, using rng: inout SplitMix64) -> Tensor {
        let n = shape.elementCount
        let values = (0..<n).map { (Float($0) - Float(n - 1) / 2) * spacing }.shuffled(using: &rng)
        return Tensor(shape: shape, values: values)
    }
}
