import NeuralNetwork
import Tensors
import Testing
import TestSupport

/// numpy.matmul by its definition: promote 1-D operands, broadcast the batch axes, sum over k.
private func referenceMatMul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let sa = a.shape.count == 1 ? [1] + a.shape : a.shape
    let sb = b.shape.count == 1 ? b.shape + [1] : b.shape
    let (m, k, n) = (sa[sa.count - 2], sa[sa.count - 1], sb[sb.count - 1])
    let ba = Array(sa.dropLast(2)), bb = Array(sb.dropLast(2))
    let rank = max(ba.count, bb.count)
    let pa = [Int](repeating: 1, count: rank - ba.count) + ba, pb = [Int](repeating: 1, count: rank - bb.count) + bb
    let batch = zip(pa, pb).map { max($0, $1) }
    func flat(_ idx: [Int], _ s: [Int]) -> Int { zip(idx, s).reduce(0) { $0 * $1.1 + ($1.1 == 1 ? 0 : $1.0) } }
    var out = batch
    if a.shape.count > 1 { out.append(m) }
    if b.shape.count > 1 { out.append(n) }
    let y = Tensor(shape: out)
    for t in 0..<batch.elementCount {
        let idx = index(t, in: batch), oa = flat(idx, pa) * m * k, ob = flat(idx, pb) * k * n
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = 0
                for l in 0..<k { s += a[oa + i * k + l] * b[ob + l * n + j] }
                y[(t * m + i) * n + j] = s
            }
        }
    }
    return y
}

private let matMulShapes: [([Int], [Int])] = [
    ([3, 5], [5, 7]),
    ([1, 9], [9, 4]),
    ([2, 3, 5], [5, 4]),
    ([2, 1, 3, 5], [3, 5, 2]),
    ([5], [5, 3]),
    ([2, 3, 5], [5]),
    ([5], [5]),
]

@Suite struct MatMulTests {
    @Test(arguments: matMulShapes.indices)
    func forwardMatchesDefinition(_ i: Int) throws {
        let (sa, sb) = matMulShapes[i]
        var rng = SplitMix64(seed: 50 + UInt64(i))
        let a = Tensor.random(sa, using: &rng), b = Tensor.random(sb, using: &rng)
        assertClose(try evaluate(MatMul(), [a, b]), referenceMatMul(a, b))
    }

    @Test(arguments: matMulShapes.indices)
    func gradientsBothOperands(_ i: Int) throws {
        let (sa, sb) = matMulShapes[i]
        var rng = SplitMix64(seed: 60 + UInt64(i))
        let a = Tensor.random(sa, using: &rng), b = Tensor.random(sb, using: &rng)
        try checkGradient(MatMul(), inputs: [a, b], wrt: 0)
        try checkGradient(MatMul(), inputs: [a, b], wrt: 1)
    }

    @Test func shapeErrors() throws {
        #expect(throws: NetworkError.self) { try MatMul().outputShape([[3, 4], [5, 6]]) }
        #expect(throws: NetworkError.self) { try MatMul().outputShape([[2, 3, 4], [3, 4, 5]]) }
        #expect(MatMul().multiplyAdds(inputs: [[2, 3, 4], [4, 5]], output: [2, 3, 5]) == 2 * 3 * 4 * 5)
    }
}
