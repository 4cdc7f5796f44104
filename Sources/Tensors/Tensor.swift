import Glibc

/// A dense, contiguous float32 tensor (row-major; images are NCHW).
///
/// A reference type so that planned buffers can be handed to ops and filled in place without
/// copy-on-write. Sharing rule: a tensor is written only by the thread that owns the executor
/// that made it; once published (e.g. in a snapshot) it is treated as read-only.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    /// The dimensions, outermost first.
    public let shape: [Int]
    /// Number of elements (the product of `shape`).
    public let count: Int
    /// The storage: this tensor's own, or the first elements of `storage`'s.
    public let data: UnsafeMutablePointer<Float>
    /// The tensor whose storage this one views, kept alive while the view is; nil when the storage is its own.
    public let storage: Tensor?

    /// A zero-filled tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        // Not allocate + fill: large blocks come from fresh pages that are already zero (`PageMemory`), so a buffer
        // costs resident memory only once it is written (a session's values past the layer it runs to never are).
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow, let p = PageMemory.allocate(bytes: bytes) else {
            fatalError("Tensor: out of memory for \(count) floats \(shape)")
        }
        data = p.bindMemory(to: Float.self, capacity: max(count, 1))
        storage = nil
    }

    /// A tensor of `shape` over `storage`'s elements from `offset` on (at least as many), without copying: lets a
    /// pool hand out one buffer for values of different shapes at different times, and a graph keep its constants in one.
    public init(viewing storage: Tensor, offset: Int = 0, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        precondition(offset >= 0 && count <= storage.count - offset,
                     "Tensor: a view of \(shape) at \(offset) over \(storage.count) elements")
        self.storage = storage.storage ?? storage
        data = storage.data + offset
    }

    /// Zeroed tensors of `shapes` over one new buffer, each starting at a 64-byte boundary: arrays a pass reads one after
    /// another (a model's weights, a session's packed weights) then lie in one mapping, on huge pages when it is large.
    public static func contiguous(_ shapes: [[Int]]) -> [Tensor] {
        let line = 16, counts = shapes.map { $0.reduce(1, *) }
        let all = Tensor(shape: [counts.reduce(0) { $0 + ($1 + line - 1) / line * line }])
        var at = 0
        return zip(shapes, counts).map { shape, count in
            defer { at += (count + line - 1) / line * line }
            return Tensor(viewing: all, offset: at, shape: shape)
        }
    }

    /// A tensor holding a copy of `values`, which must have `shape`'s element count.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A tensor filled with `value`.
    public convenience init(shape: [Int], repeating value: Float) {
        self.init(shape: shape)
        data.update(repeating: value, count: count)
    }

    deinit { if storage == nil { PageMemory.free(data, bytes: max(count, 1) * MemoryLayout<Float>.stride) } }

    /// A copy of the elements.
    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// A deep copy.
    public func copy() -> Tensor {
        let t = Tensor(shape: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Copies all elements from `other`, which must have the same count.
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "Tensor.assign: \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// The same storage viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let t = Tensor(shape: newShape)
        precondition(t.count == count, "Tensor.reshaped: \(shape) to \(newShape)")
        t.data.update(from: data, count: count)
        return t
    }

    /// Element access by flat index.
    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// A buffer view of the elements.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    public var description: String { "Tensor\(shape)" }
}

extension Array where Element == Int {
    /// Product of the dimensions.
    public var elementCount: Int { reduce(1, *) }
}
