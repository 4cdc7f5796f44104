import Tensors

/// How ReLU-like ops route gradients backward (the only thing the three modes change).
public enum BackwardMode: String, Sendable, CaseIterable {
    /// The true gradient: pass where the forward input was active.
    case gradient
    /// Zeiler & Fergus 2014: pass only positive incoming gradient, ignoring the forward mask.
    case deconvnet
    /// Springenberg et al. 2015: both the forward mask and positive incoming gradient.
    case guided
}

/// What an op's forward pass reads and writes. Built once per planned input shape.
public struct ForwardArgs {
    /// Input tensors in ONNX order (constants included).
    public let inputs: [Tensor]
    /// The preallocated output, to be overwritten.
    public let output: Tensor
    /// The op's own planned state (scratch buffers, switches for backward), if it made one.
    public let scratch: AnyObject?
    /// A clamp to apply to the output into a second buffer while it is still in cache (set by the
    /// session only for ops that declare `fusesClamp`; the clamp node itself is then skipped).
    public var epilogue: ClampEpilogue? = nil
}

/// A fused activation: `output = min(max(op output, low), high)`.
public struct ClampEpilogue {
    public let low: Float
    public let high: Float
    public let output: Tensor

    /// Applies the clamp to `count` elements starting at `offset`.
    @inline(__always)
    public func apply(from y: UnsafePointer<Float>, offset: Int, count: Int) {
        let src = y + offset, dst = output.data + offset, lo = low, hi = high
        for i in 0..<count { dst[i] = min(max(src[i], lo), hi) }
    }
}

/// What an op's backward pass reads and writes.
public struct BackwardArgs {
    /// Inputs and output of the forward pass that preceded this backward pass.
    public let inputs: [Tensor]
    public let output: Tensor
    /// d(objective)/d(output).
    public let outputGrad: Tensor
    /// Where to *add* d(objective)/d(input i); nil for inputs that need no gradient (constants).
    public let inputGrads: [Tensor?]
    public let mode: BackwardMode
    public let scratch: AnyObject?
    /// Whether input 0's gradient buffer holds garbage and is to be *written*, not added to: only passed to ops
    /// whose `overwritesInputGradient` says they write every element, when they are its first writer.
    public var overwrite = false
}

/// One operator: shape rule, forward and backward together.
///
/// Ops are immutable values (attributes only); per-shape state lives in the scratch object
/// they create in `makeScratch`, so one graph can be run by several sessions on several threads.
public protocol Op: Sendable {
    /// The ONNX operator name, for messages and `deepvis inspect`.
    var kind: String { get }
    /// The output shape for the given input shapes; throws `NetworkError.shapeMismatch` when they don't fit.
    func outputShape(_ inputs: [[Int]]) throws -> [Int]
    /// Per-shape state: scratch buffers and whatever backward needs from forward.
    func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject?
    /// Computes the output from the inputs.
    func forward(_ a: ForwardArgs)
    /// Accumulates input gradients from the output gradient.
    func backward(_ a: BackwardArgs)
    /// Multiply-accumulate count of one forward pass, for `inspect`.
    func multiplyAdds(inputs: [[Int]], output: [Int]) -> Int
    /// Whether `forward` honours `ForwardArgs.epilogue`.
    var fusesClamp: Bool { get }
    /// Bytes `makeScratch` will allocate for these shapes (nil if it would overflow), for the memory plan.
    func scratchBytes(inputs: [[Int]], output: [Int]) -> Int?
    /// Whether `backward` can write every element of input 0's gradient (`BackwardArgs.overwrite`), which saves
    /// zero-filling the buffer first and reading it back.
    func overwritesInputGradient(scratch: AnyObject?) -> Bool
    /// Whether an overwriting `backward` may write input 0's gradient over the output gradient itself: element i of
    /// the one depends only on element i of the other (and of the forward values), and the shapes are equal.
    var gradientInPlace: Bool { get }
}

extension Op {
    public var fusesClamp: Bool { false }
    public func overwritesInputGradient(scratch: AnyObject?) -> Bool { false }
    public var gradientInPlace: Bool { false }
    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? { nil }
    public func multiplyAdds(inputs: [[Int]], output: [Int]) -> Int { 0 }
    /// Ops whose scratch is proportional to the output or smaller: counted as one more output.
    public func scratchBytes(inputs: [[Int]], output: [Int]) -> Int? { MemoryLimit.floatBytes(output) }
}

/// Why a session did not keep a value.
public enum NotKeptReason: Sendable, Equatable {
    case inPlace, buffersShared
}

/// Faults in building or running a graph.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(op: String, detail: String)
    case unknownValue(String, known: [String])
    case notDifferentiable(layer: String, input: String)
    case unitOutOfRange(layer: String, shape: [Int], unit: [Int])
    case invalidGraph(String)
    /// A value the session did not keep: computed in place of its activation, or its buffer shared (`outputsOnly`).
    case notKept(String, reason: NotKeptReason)
    /// An attribute value the op cannot run with (stride 0, a 1-D kernel for a 2-D op, …).
    case invalidAttribute(op: String, attribute: String, value: String, reason: String)
    /// A tensor or a whole plan larger than the memory limit (or than Int can count).
    case tooLarge(what: String, bytes: Int?, limit: Int)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, detail): return "\(op): input shapes don't fit: \(detail)"
        case let .unknownValue(name, known):
            let some = known.prefix(40).joined(separator: ", ")
            return "no layer named '\(name)'. Layers: \(some)\(known.count > 40 ? ", … (\(known.count) in all; see `deepvis inspect`)" : "")"
        case let .notDifferentiable(layer, input):
            return "layer '\(layer)' does not depend on the input '\(input)', so it has no gradient image"
        case let .unitOutOfRange(layer, shape, unit):
            return "unit \(unit.map(String.init).joined(separator: ",")) is out of range for layer '\(layer)' of shape \(shape.map(String.init).joined(separator: "×"))"
        case let .invalidGraph(s): return "invalid graph: \(s)"
        case let .invalidAttribute(op, attribute, value, reason): return "\(op): \(attribute) \(value): \(reason)"
        case let .tooLarge(what, bytes, limit):
            let size = bytes.map { MemoryLimit.describe($0) } ?? "more than Int can count"
            return "\(what) needs \(size), over the memory limit of \(MemoryLimit.describe(limit)) (raise it with --max-memory)"
        case let .notKept(name, .inPlace):
            return "'\(name)' is a pre-activation value that this session computes in place of its activation; use the activation's layer"
        case let .notKept(name, .buffersShared):
            return "'\(name)' is not kept: this session keeps only the graph's outputs and reuses the other values' buffers"
        }
    }
}
