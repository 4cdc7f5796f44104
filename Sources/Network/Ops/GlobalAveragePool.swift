import Tensors

/// ONNX GlobalAveragePool: y[n,c,1,1] = mean over the spatial positions of x[n,c].
public struct GlobalAveragePool: Op {
    public let kind = "GlobalAveragePool"
    public init() {}

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1, inputs[0].count >= 3 else {
            throw NetworkError.shapeMismatch(op: kind, detail: "needs one N×C×… input, got \(inputs)")
        }
        return Array(inputs[0].prefix(2)) + Array(repeating: 1, count: inputs[0].count - 2)
    }

    public func forward(_ a: ForwardArgs) {
        let x = a.inputs[0], y = a.output
        let planes = y.count, size = x.count / max(planes, 1)
        for p in 0..<planes {
            var s: Float = 0
            let src = x.data + p * size
            for i in 0..<size { s += src[i] }
            y[p] = s / Float(size)
        }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0] else { return }
        let planes = a.output.count, size = gx.count / max(planes, 1)
        for p in 0..<planes {
            let g = a.outputGrad[p] / Float(size)
            let dst = gx.data + p * size
            for i in 0..<size { dst[i] += g }
        }
    }
}
