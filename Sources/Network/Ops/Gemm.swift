import Tensors

/// ONNX Gemm: Y = alpha · op(A) · op(B) + beta · C, with A [M,K] (or [K,M] when transA), C broadcast to [M,N].
public struct Gemm: Op {
    public let kind = "Gemm"
    public let alpha: Float, beta: Float
    public let transA: Bool, transB: Bool

    public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false) {
        self.alpha = alpha; self.beta = beta; self.transA = transA; self.transB = transB
    }

    func dims(_ a: [Int], _ b: [Int]) -> (m: Int, k: Int, n: Int) {
        (transA ? a[1] : a[0], transA ? a[0] : a[1], transB ? b[0] : b[1])
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count >= 2, inputs[0].count == 2, inputs[1].count == 2 else {
            throw NetworkError.shapeMismatch(op: kind, detail: "needs 2-D A and B, got \(inputs)")
        }
        let (m, k, n) = dims(inputs[0], inputs[1])
        guard k == (transB ? inputs[1][1] : inputs[1][0]) else {
            throw NetworkError.shapeMismatch(op: kind, detail: "A \(inputs[0]) and B \(inputs[1]) (transA \(transA), transB \(transB))")
        }
        if inputs.count > 2 {
            let c = inputs[2]
            let ok = c.isEmpty || c == [n] || c == [1, n] || c == [m, n] || c == [m, 1] || c.elementCount == 1
            guard ok else { throw NetworkError.shapeMismatch(op: kind, detail: "C \(c) does not broadcast to [\(m), \(n)]") }
        }
        return [m, n]
    }

    public func multiplyAdds(inputs: [[Int]], output: [Int]) -> Int {
        let (m, k, n) = dims(inputs[0], inputs[1]); return m * k * n
    }

    public func forward(_ a: ForwardArgs) {
        let A = a.inputs[0], B = a.inputs[1], Y = a.output
        let (m, k, n) = dims(A.shape, B.shape)
        var betaEff: Float = 0
        if a.inputs.count > 2 {
            let C = a.inputs[2]
            betaEff = 1
            for i in 0..<m { for j in 0..<n { Y[i * n + j] = beta * C[Self.cIndex(i, j, count: C.count, m: m, n: n)] } }
        }
        BLAS.tiledGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: A.data, lda: A.shape[1],
                       b: B.data, ldb: B.shape[1], beta: betaEff, c: Y.data, ldc: n, columnBlock: 256)
    }

    public func backward(_ a: BackwardArgs) {
        let A = a.inputs[0], B = a.inputs[1], gY = a.outputGrad
        let (m, k, n) = dims(A.shape, B.shape)
        if let gA = a.inputGrads[0] {
            if transA {   // gA [K,M] += alpha · op(B) [K,N] · gYᵀ [N,M]
                BLAS.gemm(transA: transB, transB: true, m: k, n: m, k: n, alpha: alpha, a: B.data, lda: B.shape[1],
                          b: gY.data, ldb: n, beta: 1, c: gA.data, ldc: m)
            } else {      // gA [M,K] += alpha · gY [M,N] · op(B)ᵀ [N,K]
                BLAS.gemm(transA: false, transB: !transB, m: m, n: k, k: n, alpha: alpha, a: gY.data, lda: n,
                          b: B.data, ldb: B.shape[1], beta: 1, c: gA.data, ldc: k)
            }
        }
        if let gB = a.inputGrads[1] {
            if transB {   // gB [N,K] += alpha · gYᵀ [N,M] · op(A) [M,K]
                BLAS.gemm(transA: true, transB: transA, m: n, n: k, k: m, alpha: alpha, a: gY.data, lda: n,
                          b: A.data, ldb: A.shape[1], beta: 1, c: gB.data, ldc: k)
            } else {      // gB [K,N] += alpha · op(A)ᵀ [K,M] · gY [M,N]
                BLAS.gemm(transA: !transA, transB: false, m: k, n: n, k: m, alpha: alpha, a: A.data, lda: A.shape[1],
                          b: gY.data, ldb: n, beta: 1, c: gB.data, ldc: n)
            }
        }
        if a.inputGrads.count > 2, let gC = a.inputGrads[2] {
            for i in 0..<m { for j in 0..<n { gC[Self.cIndex(i, j, count: gC.count, m: m, n: n)] += beta * gY[i * n + j] } }
        }
    }

    /// Where element (i, j) of the [m, n] result reads C, for each shape C may broadcast from.
    static func cIndex(_ i: Int, _ j: Int, count: Int, m: Int, n: Int) -> Int {
        switch count {
        case 1: return 0
        case m * n: return i * n + j
        case n: return j
        default: return i
        }
    }
}
