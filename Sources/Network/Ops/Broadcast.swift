import Tensors

/// Numpy-style multidirectional broadcasting of two shapes (ONNX's rule for Add, Mul, …).
public struct Broadcast: Sendable {
    public let output: [Int]
    /// Per output dimension, the element stride in each operand (0 where it is broadcast).
    let stridesA: [Int], stridesB: [Int]
    /// True when no broadcasting is needed, so flat loops suffice.
    public let sameShape: Bool

    /// Broadcasts `a` against `b`, or nil when they are incompatible.
    public init?(_ a: [Int], _ b: [Int]) {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var out = [Int]()
        for (x, y) in zip(pa, pb) {
            guard x == y || x == 1 || y == 1 else { return nil }
            out.append(x == 1 ? y : x)   // not max: 1 against 0 broadcasts to 0
        }
        func strides(_ s: [Int]) -> [Int] {
            var st = Array(repeating: 0, count: rank), acc = 1
            for d in stride(from: rank - 1, through: 0, by: -1) {
                st[d] = s[d] == 1 ? 0 : acc
                acc *= s[d]
            }
            return st
        }
        output = out
        stridesA = strides(pa)
        stridesB = strides(pb)
        sameShape = pa == pb
    }

    /// Calls `body(i, ia, ib)` for every output element i with the operand offsets it reads.
    @inline(__always)
    public func forEach(_ body: (Int, Int, Int) -> Void) {
        let total = output.elementCount
        if sameShape {
            for i in 0..<total { body(i, i, i) }
            return
        }
        let rank = output.count
        // The innermost dimension runs as a tight loop; the outer ones advance like an odometer.
        let inner = rank > 0 ? output[rank - 1] : 1
        let sa = rank > 0 ? stridesA[rank - 1] : 0, sb = rank > 0 ? stridesB[rank - 1] : 0
        var idx = Array(repeating: 0, count: max(rank - 1, 0))
        var i = 0, offA = 0, offB = 0
        while i < total {
            for j in 0..<inner { body(i + j, offA + j * sa, offB + j * sb) }
            i += inner
            var d = rank - 2
            while d >= 0 {
                idx[d] += 1
                offA += stridesA[d]; offB += stridesB[d]
                if idx[d] < output[d] { break }
                offA -= stridesA[d] * idx[d]; offB -= stridesB[d] * idx[d]
                idx[d] = 0
                d -= 1
            }
        }
    }
}
