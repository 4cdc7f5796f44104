import Tensors

/// Folds an inference BatchNormalization into the convolution before it.
///
/// With s = γ / √(σ² + ε):  BN(conv(x, W) + b) = conv(x, s·W) + (s·(b − μ) + β),
/// scaling each output channel's filter by s and shifting its bias; exact up to rounding.
enum BatchNormFolding {
    /// Conv node index → BatchNorm node index, for each Conv whose only consumer is a BatchNorm
    /// and whose weights and BN statistics are all constants.
    static func candidates(_ nodes: [Onnx_NodeProto], constants: [String: ConstantValue]) -> [Int: Int] {
        var consumers: [String: [Int]] = [:]
        for (i, n) in nodes.enumerated() { for inp in n.input { consumers[inp, default: []].append(i) } }
        var result: [Int: Int] = [:]
        for (i, n) in nodes.enumerated() where n.opType == "Conv" {
            guard let out = n.output.first, let users = consumers[out], users.count == 1 else { continue }
            let bn = nodes[users[0]]
            guard bn.opType == "BatchNormalization", bn.input.first == out, bn.output.count == 1, bn.input.count == 5,
                  n.input.count >= 2, constants[n.input[1]] != nil,
                  n.input.count < 3 || n.input[2].isEmpty || constants[n.input[2]] != nil,
                  bn.input[1...].allSatisfy({ constants[$0] != nil }),
                  !bn.attribute.contains(where: { $0.name == "training_mode" && $0.i != 0 })
            else { continue }
            result[i] = users[0]
        }
        return result
    }

    /// The folded weights and bias.
    static func fold(conv: Onnx_NodeProto, bn: Onnx_NodeProto, constants: [String: ConstantValue]) throws -> (Tensor, Tensor) {
        let w = constants[conv.input[1]]!.tensor
        let m = w.shape[0], per = w.count / m
        let b = conv.input.count > 2 && !conv.input[2].isEmpty ? constants[conv.input[2]]!.tensor.array : [Float](repeating: 0, count: m)
        let gamma = constants[bn.input[1]]!.tensor, beta = constants[bn.input[2]]!.tensor
        let mean = constants[bn.input[3]]!.tensor, variance = constants[bn.input[4]]!.tensor
        guard gamma.count == m, beta.count == m, mean.count == m, variance.count == m else {
            let sizes = [gamma, beta, mean, variance].map { String($0.count) }.joined(separator: ", ")
            throw ONNXImportError.badNode(node: bn.name, op: "BatchNormalization",
                                          reason: "statistics of sizes \(sizes) (scale, bias, mean, var) for \(m) channels")
        }
        let eps = bn.attribute.first { $0.name == "epsilon" }?.f ?? 1e-5
        let fw = Tensor(shape: w.shape), fb = Tensor(shape: [m])
        for o in 0..<m {
            let s = Double(gamma[o]) / (Double(variance[o]) + Double(eps)).squareRoot()
            for k in 0..<per { fw[o * per + k] = Float(Double(w[o * per + k]) * s) }
            fb[o] = Float(s * (Double(b[o]) - Double(mean[o])) + Double(beta[o]))
        }
        return (fw, fb)
    }
}
