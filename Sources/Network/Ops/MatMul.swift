import Tensors

/// ONNX MatMul (numpy matmul): y[b] = a[b] · b[b] over the last two dimensions, with the batch
/// dimensions broadcast and 1-D operands promoted (a: [K] → [1, K], b: [K] → [K, 1]) then dropped.
///
/// Each batch is one `BLAS.gemm`. Backward: ga[b] += gy[b] · b[b]ᵀ and gb[b] += a[b]ᵀ · gy[b],
/// accumulated over batches that share a broadcast operand; true gradient in every mode.
public struct MatMul: Op {
    public let kind = "MatMul"
    public init() {}

    /// The matrix sizes and, per output batch, which batch of each operand it reads.
    final class Plan {
        let m: Int, k: Int, n: Int
        let batchA: [Int], batchB: [Int]
        init(m: Int, k: Int, n: Int, batch: Broadcast) {
            self.m = m; self.k = k; self.n = n
            var ia = [Int](), ib = [Int]()
            batch.forEach { _, a, b in ia.append(a); ib.append(b) }
            batchA = ia; batchB = ib
        }
    }

    /// Shapes with 1-D operands promoted to matrices.
    private static func promoted(_ a: [Int], _ b: [Int]) -> ([Int], [Int]) {
        (a.count == 1 ? [1] + a : a, b.count == 1 ? b + [1] : b)
    }

    private func plan(_ inputs: [[Int]]) throws -> (Plan, [Int]) {
        guard inputs.count == 2, !inputs[0].isEmpty, !inputs[1].isEmpty else {
            throw NetworkError.shapeMismatch(op: kind, detail: "needs two operands of rank ≥ 1, got \(inputs)")
        }
        let (a, b) = Self.promoted(inputs[0], inputs[1])
        let m = a[a.count - 2], k = a[a.count - 1], n = b[b.count - 1]
        guard b[b.count - 2] == k, let batch = Broadcast(Array(a.dropLast(2)), Array(b.dropLast(2))) else {
            throw NetworkError.shapeMismatch(op: kind, detail: "\(inputs[0]) · \(inputs[1])")
        }
        var out = batch.output
        if inputs[0].count > 1 { out.append(m) }
        if inputs[1].count > 1 { out.append(n) }
        return (Plan(m: m, k: k, n: n, batch: batch), out)
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] { try plan(inputs).1 }

    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? { try? plan(inputs).0 }

    public func forward(_ a: ForwardArgs) {
        let p = a.scratch as! Plan, (m, k, n) = (p.m, p.k, p.n)
        let x = a.inputs[0].data, w = a.inputs[1].data, y = a.output.data
        if k == 0 { a.output.fill(0) }
        guard m > 0, n > 0, k > 0 else { return }
        for i in p.batchA.indices {
            BLAS.gemm(m: m, n: n, k: k, a: x + p.batchA[i] * m * k, lda: k, b: w + p.batchB[i] * k * n, ldb: n,
                      c: y + i * m * n, ldc: n)
        }
    }

    public func backward(_ a: BackwardArgs) {
        let p = a.scratch as! Plan, (m, k, n) = (p.m, p.k, p.n)
        guard m > 0, n > 0, k > 0 else { return }
        let x = a.inputs[0].data, w = a.inputs[1].data, gy = a.outputGrad.data
        for i in p.batchA.indices {
            let g = gy + i * m * n, ia = p.batchA[i] * m * k, ib = p.batchB[i] * k * n
            if let gx = a.inputGrads[0]?.data {
                BLAS.gemm(transB: true, m: m, n: k, k: n, a: g, lda: n, b: w + ib, ldb: n, beta: 1, c: gx + ia, ldc: k)
            }
            if let gw = a.inputGrads[1]?.data {
                BLAS.gemm(transA: true, m: k, n: n, k: m, a: x + ia, lda: k, b: g, ldb: n, beta: 1, c: gw + ib, ldc: n)
            }
        }
    }

    public func multiplyAdds(inputs: [[Int]], output: [Int]) -> Int {
        guard let p = try? plan(inputs).0 else { return 0 }
        return p.batchA.count * p.m * p.k * p.n
    }
}
