import Tensors

/// Clamps to [low, high]: Relu is [0, ∞), Relu6 / Clip(0, 6) is [0, 6].
///
/// Backward modes (DESIGN.md §3) treat the whole clamp as a ReLU-like gate:
/// gradient passes where the forward input was inside (low, high); deconvnet passes where the
/// incoming gradient is positive, ignoring the forward input; guided requires both.
public struct Clamp: Op {
    public let low: Float
    public let high: Float
    public let kind: String

    /// ONNX Relu.
    public static let relu = Clamp(low: 0, high: .infinity, kind: "Relu")

    public init(low: Float, high: Float, kind: String = "Clip") {
        self.low = low; self.high = high; self.kind = kind
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw NetworkError.shapeMismatch(op: kind, detail: "expects 1 input, got \(inputs.count)") }
        return inputs[0]
    }

    public func forward(_ a: ForwardArgs) {
        let x = a.inputs[0].data, y = a.output.data, lo = low, hi = high
        for i in 0..<a.output.count { y[i] = min(max(x[i], lo), hi) }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let x = a.inputs[0].data, gy = a.outputGrad.data, lo = low, hi = high
        let n = a.output.count
        switch a.mode {
        case .gradient:
            for i in 0..<n where x[i] > lo && x[i] < hi { gx[i] += gy[i] }
        case .deconvnet:
            for i in 0..<n where gy[i] > 0 { gx[i] += gy[i] }
        case .guided:
            for i in 0..<n where gy[i] > 0 && x[i] > lo && x[i] < hi { gx[i] += gy[i] }
        }
    }
}
