import Tensors

/// The gradient buffers of backward passes, reused by shape: a value's gradient lives only from its first
/// consumer's backward to its producer's, so a pass needs a few maps of each shape rather than one per value
/// (for EfficientNet-Lite0 about a fifth of the 50 MB one buffer per value took).
///
/// Not thread-safe: one thread uses a workspace at a time. A session has its own; a thread that runs backward
/// over another thread's activations (the live probe) brings its own.
public final class GradientWorkspace {
    private var free: [[Int]: [Tensor]] = [:]
    private var inputGradients: [[Int]: Tensor] = [:]

    /// An empty workspace; buffers are made on first use and kept.
    public init() {}

    /// A buffer of `shape`, taken from the pool when one is free; zeroed unless its first writer overwrites it.
    func acquire(_ shape: [Int], zeroed: Bool = true) -> Tensor {
        if let t = free[shape]?.popLast() {
            if zeroed { t.fill(0) }
            return t
        }
        return Tensor(shape: shape)
    }

    /// Gives a buffer back to the pool.
    func release(_ t: Tensor) { free[t.shape, default: []].append(t) }

    /// The zeroed buffer that receives d/d(input); valid until the next backward on this workspace.
    func inputGradient(_ shape: [Int]) -> Tensor {
        if let t = inputGradients[shape] {
            t.fill(0)
            return t
        }
        let t = Tensor(shape: shape)
        inputGradients[shape] = t
        return t
    }

    /// Bytes of gradient buffers held.
    public var bytes: Int {
        (free.values.joined().map(\.count).reduce(0, +) + inputGradients.values.map(\.count).reduce(0, +)) * MemoryLayout<Float>.stride
    }
}
