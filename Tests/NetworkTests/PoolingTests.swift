import NeuralNetwork
import Tensors
import Testing
import TestSupport

/// Output length of a pooled axis per the ONNX spec: floor (or ceil) of (n + pads − span)/stride + 1,
/// where a ceil-mode window that would start inside the end padding is dropped.
private func pooledLength(_ n: Int, k: Int, s: Int, head: Int, tail: Int, d: Int, ceil: Bool) -> Int {
    let room = n + head + tail - ((k - 1) * d + 1)
    var out = (ceil ? (room + s - 1) / s : room / s) + 1
    if ceil && (out - 1) * s >= n + head { out -= 1 }
    return out
}

/// The ONNX definition of 2-D pooling as plain loops: `reduce` gets the in-image taps and the
/// number of taps inside the padded extent.
private func referencePool(_ x: Tensor, k: [Int], s: [Int], p: [Int], d: [Int], ceil: Bool,
                           reduce: ([Float], Int) -> Float) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = pooledLength(h, k: k[0], s: s[0], head: p[0], tail: p[2], d: d[0], ceil: ceil)
    let ow = pooledLength(w, k: k[1], s: s[1], head: p[1], tail: p[3], d: d[1], ceil: ceil)
    let y = Tensor(shape: [n, c, oh, ow])
    for b in 0..<(n * c) {
        for oy in 0..<oh {
            for ox in 0..<ow {
                var taps = [Float](), padded = 0
                for ky in 0..<k[0] {
                    for kx in 0..<k[1] {
                        let iy = oy * s[0] - p[0] + ky * d[0], ix = ox * s[1] - p[1] + kx * d[1]
                        if iy >= -p[0], iy < h + p[2], ix >= -p[1], ix < w + p[3] { padded += 1 }
                        if iy >= 0, iy < h, ix >= 0, ix < w { taps.append(x[(b * h + iy) * w + ix]) }
                    }
                }
                y[(b * oh + oy) * ow + ox] = reduce(taps, padded)
            }
        }
    }
    return y
}

/// Pooling variants that matter: plain, strided, padded, dilated, ceil mode with a dropped window.
private let poolCases: [(k: [Int], s: [Int], p: [Int], d: [Int], ceil: Bool)] = [
    ([2, 2], [2, 2], [0, 0, 0, 0], [1, 1], false),
    ([3, 3], [2, 2], [1, 1, 1, 1], [1, 1], false),
    ([3, 2], [1, 2], [1, 0, 2, 1], [1, 1], false),
    ([3, 3], [2, 2], [0, 0, 0, 0], [1, 1], true),
    ([2, 2], [2, 2], [1, 1, 1, 1], [1, 1], true),
    ([2, 3], [1, 2], [1, 2, 1, 2], [2, 2], false),
]

@Suite struct PoolingTests {
    @Test(arguments: poolCases.indices)
    func maxPoolForwardMatchesDefinition(_ i: Int) throws {
        let c = poolCases[i]
        var rng = SplitMix64(seed: 11 + UInt64(i))
        let x = Tensor.random([2, 3, 5, 7], in: -2...2, using: &rng)
        let op = MaxPool(kernel: c.k, strides: c.s, pads: c.p, dilations: c.d, ceilMode: c.ceil)
        let expected = referencePool(x, k: c.k, s: c.s, p: c.p, d: c.d, ceil: c.ceil) { taps, _ in taps.max()! }
        assertClose(try evaluate(op, [x]), expected, "MaxPool case \(i)")
    }

    @Test(arguments: poolCases.indices, [false, true])
    func averagePoolForwardMatchesDefinition(_ i: Int, includePad: Bool) throws {
        let c = poolCases[i]
        var rng = SplitMix64(seed: 21 + UInt64(i))
        let x = Tensor.random([1, 2, 7, 5], using: &rng)
        let op = AveragePool(kernel: c.k, strides: c.s, pads: c.p, dilations: c.d, ceilMode: c.ceil, countIncludePad: includePad)
        let expected = referencePool(x, k: c.k, s: c.s, p: c.p, d: c.d, ceil: c.ceil) { taps, padded in
            taps.reduce(0, +) / Float(includePad ? padded : taps.count)
        }
        assertClose(try evaluate(op, [x]), expected, "AveragePool case \(i)")
    }

    @Test func ceilModeDropsAWindowStartingInThePadding() throws {
        // 5 wide, k 2, s 2, pads 1+1: ceil((5+2−2)/2)+1 = 4, but window 3 would start at 6 − 1 = 5 ≥ 5.
        let op = MaxPool(kernel: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true)
        #expect(try op.outputShape([[1, 1, 5, 5]]) == [1, 1, 3, 3])
        #expect(try MaxPool(kernel: [3, 3], strides: [2, 2], ceilMode: true).outputShape([[1, 1, 6, 6]]) == [1, 1, 3, 3])
        #expect(try MaxPool(kernel: [3, 3], strides: [2, 2]).outputShape([[1, 1, 6, 6]]) == [1, 1, 2, 2])
    }

    @Test func autoPadSameGivesCeilOfInputOverStride() throws {
        let upper = MaxPool(kernel: [3, 3], strides: [2, 2], autoPad: .sameUpper)
        #expect(try upper.outputShape([[1, 1, 7, 8]]) == [1, 1, 4, 4])
        // SAME_LOWER with an even total pad of 2 (k 3, s 1) is symmetric, like pads 1,1,1,1.
        var rng = SplitMix64(seed: 5)
        let x = Tensor.random([1, 2, 5, 5], using: &rng)
        let lower = try evaluate(AveragePool(kernel: [3, 3], autoPad: .sameLower), [x])
        assertClose(lower, try evaluate(AveragePool(kernel: [3, 3], pads: [1, 1, 1, 1]), [x]))
        #expect(try AveragePool(kernel: [3, 3], strides: [2, 2], autoPad: .valid).outputShape([[1, 1, 7, 6]]) == [1, 1, 3, 2])
    }

    @Test(arguments: poolCases.indices)
    func maxPoolGradient(_ i: Int) throws {
        let c = poolCases[i]
        var rng = SplitMix64(seed: 31 + UInt64(i))
        // Distinct values 0.05 apart: a ±0.01 step never changes a window's argmax.
        let x = Tensor.distinct([1, 3, 5, 7], using: &rng)
        let op = MaxPool(kernel: c.k, strides: c.s, pads: c.p, dilations: c.d, ceilMode: c.ceil)
        try checkGradient(op, inputs: [x], label: "MaxPool case \(i)")
    }

    @Test(arguments: poolCases.indices, [false, true])
    func averagePoolGradient(_ i: Int, includePad: Bool) throws {
        let c = poolCases[i]
        var rng = SplitMix64(seed: 41 + UInt64(i))
        let x = Tensor.random([2, 1, 5, 7], using: &rng)
        let op = AveragePool(kernel: c.k, strides: c.s, pads: c.p, dilations: c.d, ceilMode: c.ceil, countIncludePad: includePad)
        try checkGradient(op, inputs: [x], label: "AveragePool case \(i) include_pad \(includePad)")
    }

    @Test func maxPoolBackwardUsesTheSwitchesInEveryMode() throws {
        // 1×1×2×4, 2×2 windows: the maxima are 4 at (1,0) and 8 at (0,3).
        let x = Tensor(shape: [1, 1, 2, 4], values: [1, 2, 5, 8,
                                                     4, 3, 7, 6])
        let seed = Tensor(shape: [1, 1, 1, 2], values: [-2, 3])
        for mode in BackwardMode.allCases {
            let g = try backprop(MaxPool(kernel: [2, 2], strides: [2, 2]), [x], seed: seed, mode: mode)
            assertClose(g, shape: [1, 1, 2, 4], [0, 0, 0, 3,
                                                 -2, 0, 0, 0], "mode \(mode)")
        }
    }
}
