import Tensors

/// The gradient buffers of backward passes, reused across values: a value's gradient lives only from its first
/// consumer's backward to its producer's, so a pass needs only as many buffers as are live at once. A buffer
/// is handed out as a view of the needed shape over the smallest free one that is large enough, so one buffer
/// serves maps of different shapes (for EfficientNet-Lite0 backward to blocks.15: about 12 MB, where pooling by
/// exact shape held 27 MB and one buffer per value 50 MB).
///
/// Not thread-safe: one thread uses a workspace at a time. A session has its own; a thread that runs backward
/// over another thread's activations (the live probe) brings its own.
public final class GradientWorkspace {
    /// Free buffers, smallest first.
    private var free: [Tensor] = []
    private var inputGradients: [[Int]: Tensor] = [:]

    /// An empty workspace; buffers are made on first use and kept.
    public init() {}

    /// A buffer of `shape`, taken from the pool when one is large enough; zeroed unless its first writer overwrites it.
    func acquire(_ shape: [Int], zeroed: Bool = true) -> Tensor {
        let count = shape.elementCount
        if let i = free.firstIndex(where: { $0.count >= count }) {
            let t = Tensor(viewing: free.remove(at: i), shape: shape)
            if zeroed { t.fill(0) }
            return t
        }
        // Nothing free is large enough. The largest free buffer would now only serve smaller requests, which the
        // new one serves as well once released, so it is dropped: the pool stays near the pass's live peak
        // instead of keeping every size a pass ever asked for.
        if !free.isEmpty { free.removeLast() }
        return Tensor(shape: shape)
    }

    /// Gives a buffer back to the pool.
    func release(_ t: Tensor) {
        let buffer = t.storage ?? t
        let i = free.firstIndex(where: { $0.count >= buffer.count }) ?? free.count
        free.insert(buffer, at: i)
    }

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
        (free.map(\.count).reduce(0, +) + inputGradients.values.map(\.count).reduce(0, +)) * MemoryLayout<Float>.stride
    }
}
