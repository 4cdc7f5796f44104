import Tensors

/// ONNX HardSwish: y = x · max(0, min(1, x/6 + 1/2)), elementwise.
///
/// Local derivative: 0 for x ≤ −3, x/3 + 1/2 inside (−3, 3), 1 for x ≥ 3.
/// HardSwish replaces ReLU as the feature rectifier in MobileNetV3, so the backward modes treat
/// it like ReLU, with its true derivative playing the role of ReLU's forward mask:
/// gradient: gx += f′(x) · gy; deconvnet: gx += max(gy, 0), ignoring the forward input
/// (as the deconvnet's ReLU does); guided: gx += f′(x) · max(gy, 0), both rules together.
public struct HardSwish: Op {
    public let kind = "HardSwish"
    public init() {}

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] { try unaryShape(inputs, op: kind) }

    public func forward(_ a: ForwardArgs) {
        let x = a.inputs[0].data, y = a.output.data
        for i in 0..<a.output.count {
            let v = x[i]
            y[i] = v * min(max(v * (1 / 6) + 0.5, 0), 1)
        }
    }

    /// The derivative of HardSwish at `v`.
    @inline(__always)
    static func slope(_ v: Float) -> Float {
        v <= -3 ? 0 : (v >= 3 ? 1 : v * (1 / 3) + 0.5)
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let x = a.inputs[0].data, gy = a.outputGrad.data, n = a.output.count
        switch a.mode {
        case .gradient:
            for i in 0..<n { gx[i] += Self.slope(x[i]) * gy[i] }
        case .deconvnet:
            for i in 0..<n where gy[i] > 0 { gx[i] += gy[i] }
        case .guided:
            for i in 0..<n where gy[i] > 0 { gx[i] += Self.slope(x[i]) * gy[i] }
        }
    }
}
