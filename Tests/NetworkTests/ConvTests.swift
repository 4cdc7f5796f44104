import NeuralNetwork
import Tensors
import TestSupport
import Testing

/// Conv on every path (pointwise GEMM, depthwise wide-row and direct, im2col) against the ONNX definition written as a naive loop.
@Suite struct ConvTests {
    /// The specification: y[n,m,oy,ox] = b[m] + Σ_{c,ky,kx} w[m,c,ky,kx] · x[n, g·C/G + c, oy·s − p + ky·d, ox·s − p + kx·d].
    static func naive(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ conv: Conv) -> Tensor {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let oh = (h + conv.pads[0] + conv.pads[2] - conv.dilations[0] * (kh - 1) - 1) / conv.strides[0] + 1
        let ow = (wd + conv.pads[1] + conv.pads[3] - conv.dilations[1] * (kw - 1) - 1) / conv.strides[1] + 1
        let mg = m / conv.group
        let y = Tensor(shape: [n, m, oh, ow])
        for b0 in 0..<n { for oc in 0..<m { for oy in 0..<oh { for ox in 0..<ow {
            var acc = Double(b?[oc] ?? 0)
            let g = oc / mg
            for c in 0..<cg { for ky in 0..<kh { for kx in 0..<kw {
                let iy = oy * conv.strides[0] - conv.pads[0] + ky * conv.dilations[0]
                let ix = ox * conv.strides[1] - conv.pads[1] + kx * conv.dilations[1]
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                acc += Double(w[((oc * cg + c) * kh + ky) * kw + kx]) * Double(x[((b0 * cin + g * cg + c) * h + iy) * wd + ix])
            } } }
            y[((b0 * m + oc) * oh + oy) * ow + ox] = Float(acc)
        } } } }
        return y
    }

    struct Case: CustomStringConvertible, Sendable {
        var x: [Int], m: Int, k: [Int], strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 1
        var description: String { "x\(x) m\(m) k\(k) s\(strides) p\(pads) d\(dilations) g\(group)" }
    }

    static let cases: [Case] = [
        Case(x: [1, 5, 7, 6], m: 4, k: [1, 1]),                                              // pointwise GEMM
        Case(x: [2, 3, 5, 7], m: 4, k: [3, 3], pads: [1, 1, 1, 1]),                          // im2col, batch 2
        Case(x: [1, 3, 9, 8], m: 2, k: [3, 2], strides: [2, 3], pads: [0, 1, 2, 1]),         // asymmetric everything
        Case(x: [1, 4, 8, 9], m: 6, k: [3, 3], pads: [2, 2, 2, 2], dilations: [2, 2], group: 2), // grouped, dilated
        Case(x: [1, 6, 7, 7], m: 6, k: [3, 3], pads: [1, 1, 1, 1], group: 6),                // depthwise, stride 1
        Case(x: [1, 5, 9, 8], m: 5, k: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], group: 5),  // TF-SAME stride 2
        Case(x: [1, 4, 11, 10], m: 4, k: [5, 5], strides: [2, 2], pads: [1, 1, 2, 2], group: 4), // 5×5 stride 2
        Case(x: [1, 3, 8, 8], m: 3, k: [3, 3], pads: [2, 2, 2, 2], dilations: [2, 2], group: 3), // dilated depthwise: direct path
        Case(x: [1, 3, 9, 7], m: 3, k: [3, 3], strides: [3, 3], pads: [1, 0, 1, 2], group: 3),  // stride 3 phases
        Case(x: [1, 7, 1, 1], m: 9, k: [1, 1]),                                              // 1×1 map, channels not a multiple of 4
        Case(x: [1, 13, 5, 11], m: 6, k: [1, 1]),                                            // 55 pixels: three 16-wide strips and an edge
        Case(x: [2, 5, 9, 7], m: 7, k: [1, 1], strides: [2, 2]),                             // 1×1 stride 2: im2col + own kernel
        Case(x: [1, 5, 6, 5], m: 3, k: [1, 1], pads: [1, 0, 0, 1]),                          // padded 1×1
        Case(x: [1, 3, 12, 13], m: 3, k: [5, 5], strides: [2, 2], pads: [1, 2, 2, 1], group: 3), // 5×5 stride 2, uneven pads
        Case(x: [2, 9, 14, 13], m: 9, k: [3, 3], pads: [1, 1, 1, 1], group: 9),             // depthwise, batch 2, several SIMD blocks
        Case(x: [1, 3, 5, 21], m: 3, k: [3, 3], pads: [1, 1, 1, 1], group: 3),              // depthwise rows copied whole, 8-wide tail overlap
        Case(x: [1, 2, 5, 70], m: 2, k: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], group: 2), // stride 2, rows deinterleaved in vectors
        Case(x: [1, 2, 6, 67], m: 2, k: [5, 5], strides: [2, 2], pads: [1, 1, 2, 2], group: 2), // the same from an odd padded column
        Case(x: [1, 2, 7, 20], m: 2, k: [3, 3], strides: [3, 3], pads: [1, 1, 1, 1], group: 2), // stride 3, rows walked phase by phase
        Case(x: [1, 5, 1, 1], m: 5, k: [3, 3], pads: [1, 1, 1, 1], group: 5),               // depthwise on a 1×1 map
        Case(x: [1, 4, 4, 8], m: 4, k: [5, 5], pads: [2, 2, 2, 2], group: 4),               // rows of exactly one vector
        Case(x: [1, 3, 2, 2], m: 3, k: [3, 3], pads: [1, 1, 1, 1], group: 3),               // planes shorter than one vector
        Case(x: [1, 3, 3, 3], m: 3, k: [3, 3], pads: [1, 1, 1, 1], group: 3),               // rows short, plane just over a vector
        Case(x: [1, 3, 14, 14], m: 3, k: [5, 5], pads: [2, 2, 2, 2], group: 3),             // 14×14 rows as one masked vector each
        Case(x: [2, 3, 9, 15], m: 3, k: [3, 3], pads: [0, 2, 1, 0], group: 3),              // 15 columns, uneven pads, batch 2
        // The flat form (stride 1, same size out as in, planes of ≥ 16 elements):
        Case(x: [1, 2, 7, 7], m: 2, k: [5, 5], pads: [2, 2, 2, 2], group: 2),               // the 7×7 maps: vectors overlapping at the end
        Case(x: [1, 3, 9, 15], m: 3, k: [3, 3], pads: [0, 2, 2, 0], group: 3),              // same size from one-sided pads
        Case(x: [1, 2, 16, 17], m: 2, k: [3, 5], pads: [1, 2, 1, 2], group: 2),             // 3×5 filter; a last group of four overlapping
        Case(x: [1, 2, 4, 5], m: 2, k: [3, 3], pads: [1, 1, 1, 1], group: 2),               // 20 elements: one vector and an overlap
        Case(x: [2, 3, 1, 20], m: 3, k: [3, 3], pads: [1, 1, 1, 1], group: 3),              // one row: both vertical taps in the zero rows
        Case(x: [1, 2, 7, 12], m: 2, k: [3, 3], pads: [1, 1, 1, 1], group: 2),              // 84 = 64 + 20: a last pair of single vectors
        // The flat form with stride 2 (even sizes, twice the output's), from four phase planes:
        Case(x: [1, 3, 14, 14], m: 3, k: [5, 5], strides: [2, 2], pads: [1, 1, 2, 2], group: 3), // 14 → 7, TF-SAME
        Case(x: [1, 2, 16, 12], m: 2, k: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], group: 2), // rows of 6: short deinterleave
        Case(x: [2, 2, 20, 34], m: 2, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 2), // rows of 17: overlapping vectors, batch 2
        Case(x: [1, 2, 8, 8], m: 2, k: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2], group: 2),   // a 4×4 output: exactly one vector
        Case(x: [1, 2, 12, 10], m: 2, k: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1], group: 2), // padding on one side of each axis
        // Channel blocks (`ChannelBlocks`: output planes of 16–64 pixels, filters of at least a vector's lanes):
        Case(x: [2, 37, 7, 7], m: 37, k: [5, 5], pads: [2, 2, 2, 2], group: 37),          // two whole blocks and one of 5, batch 2
        Case(x: [1, 18, 5, 11], m: 18, k: [5, 5], pads: [2, 2, 2, 2], group: 18),         // rows of 11: overlapping steps; a block of 2
        Case(x: [1, 17, 13, 9], m: 17, k: [5, 5], strides: [2, 2], pads: [2, 1, 2, 1], group: 17), // stride 2 from odd sizes, 7×4
        Case(x: [1, 20, 3, 6], m: 20, k: [5, 5], pads: [2, 2, 2, 2], group: 20),          // 18 pixels: a tile and an overlapping one
        // Dense with at most 32 taps per output, in the flat form's geometry: the direct path (forward only).
        Case(x: [1, 3, 16, 14], m: 11, k: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1]),   // the stem's shape, 11 = 8 + 3 output channels
        Case(x: [2, 2, 12, 12], m: 9, k: [3, 3], pads: [1, 1, 1, 1]),                      // stride 1, batch 2
        Case(x: [1, 1, 9, 40], m: 3, k: [5, 5], pads: [2, 2, 2, 2]),                       // 25 taps, four bands
        Case(x: [1, 3, 24, 40], m: 8, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),     // three bands of 80 positions
        Case(x: [1, 4, 6, 6], m: 2, k: [3, 3], pads: [1, 1, 1, 1]),                        // 36 taps: im2col
    ]

    /// The adjoint written as a loop: gx[n,c,iy,ix] += w[m,c,ky,kx] · gy[n,m,oy,ox] for every tap that reads (iy, ix).
    static func naiveInputGradient(_ gy: Tensor, _ w: Tensor, xShape: [Int], _ conv: Conv) -> Tensor {
        let (n, cin, h, wd) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let (oh, ow) = (gy.shape[2], gy.shape[3]), mg = m / conv.group
        var gx = [Double](repeating: 0, count: xShape.elementCount)
        for b0 in 0..<n { for oc in 0..<m { for oy in 0..<oh { for ox in 0..<ow {
            let gv = Double(gy[((b0 * m + oc) * oh + oy) * ow + ox]), g = oc / mg
            for c in 0..<cg { for ky in 0..<kh { for kx in 0..<kw {
                let iy = oy * conv.strides[0] - conv.pads[0] + ky * conv.dilations[0]
                let ix = ox * conv.strides[1] - conv.pads[1] + kx * conv.dilations[1]
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                gx[((b0 * cin + g * cg + c) * h + iy) * wd + ix] += Double(w[((oc * cg + c) * kh + ky) * kw + kx]) * gv
            } } }
        } } } }
        return Tensor(shape: xShape, values: gx.map { Float($0) })
    }

    @Test(arguments: cases)
    func inputGradientMatchesTransposedLoop(_ c: Case) throws {
        var rng = SplitMix64(seed: 15)
        let conv = Conv(kernel: c.k, strides: c.strides, pads: c.pads, dilations: c.dilations, group: c.group)
        let x = Tensor.random(c.x, using: &rng)
        let w = Tensor.random([c.m, c.x[1] / c.group, c.k[0], c.k[1]], using: &rng)
        let y = Self.naive(x, w, nil, conv)
        let gy = Tensor.random(y.shape, using: &rng)
        try withThreads { threads in
            assertClose(try backprop(conv, [x, w], seed: gy), Self.naiveInputGradient(gy, w, xShape: c.x, conv), "threads \(threads)")
        }
    }

    @Test(arguments: cases)
    func forwardMatchesDefinition(_ c: Case) throws {
        var rng = SplitMix64(seed: 11)
        let conv = Conv(kernel: c.k, strides: c.strides, pads: c.pads, dilations: c.dilations, group: c.group)
        let x = Tensor.random(c.x, using: &rng)
        let w = Tensor.random([c.m, c.x[1] / c.group, c.k[0], c.k[1]], using: &rng)
        let b = Tensor.random([c.m], using: &rng)
        assertClose(try evaluate(conv, [x, w, b]), Self.naive(x, w, b, conv))
        assertClose(try evaluate(conv, [x, w]), Self.naive(x, w, nil, conv))
    }

    @Test(arguments: cases)
    func inputGradientMatchesFiniteDifferences(_ c: Case) throws {
        var rng = SplitMix64(seed: 12)
        let conv = Conv(kernel: c.k, strides: c.strides, pads: c.pads, dilations: c.dilations, group: c.group)
        let x = Tensor.random(c.x, using: &rng)
        let w = Tensor.random([c.m, c.x[1] / c.group, c.k[0], c.k[1]], using: &rng)
        let b = Tensor.random([c.m], using: &rng)
        try checkGradient(conv, inputs: [x, w, b], label: "Conv \(c)")
    }

    @Test func gemmGlobalPoolFlattenAddGradients() throws {
        var rng = SplitMix64(seed: 13)
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = Tensor.random(ta ? [5, 3] : [3, 5], using: &rng), b = Tensor.random(tb ? [4, 5] : [5, 4], using: &rng)
            let c = Tensor.random([4], using: &rng)
            let op = Gemm(alpha: 0.7, beta: 1.3, transA: ta, transB: tb)
            try checkGradient(op, inputs: [a, b, c], wrt: 0, label: "Gemm A tA\(ta) tB\(tb)")
            try checkGradient(op, inputs: [a, b, c], wrt: 1, label: "Gemm B tA\(ta) tB\(tb)")
        }
        try checkGradient(GlobalAveragePool(), inputs: [Tensor.random([2, 3, 5, 4], using: &rng)])
        try checkGradient(Flatten(axis: 2), inputs: [Tensor.random([2, 3, 2, 4], using: &rng)])
        try checkGradient(Add(), inputs: [Tensor.random([2, 3, 4, 5], using: &rng), Tensor.random([3, 1, 1], using: &rng)], wrt: 0)
        try checkGradient(Add(), inputs: [Tensor.random([2, 3, 4, 5], using: &rng), Tensor.random([3, 1, 5], using: &rng)], wrt: 1)
    }

    /// A MobileNet-like block (stem stride 2, depthwise, residual add, project, pool, classifier) as one graph.
    /// Smooth activations keep finite differences away from kinks; ReLU-like ops are checked alone.
    @Test func smallNetworkGradient() throws {
        var rng = SplitMix64(seed: 14)
        var g = Graph()
        let x = g.addInput("x", shape: [1, 3, 9, 9])
        func const(_ s: [Int]) -> Int { g.addConstant("w\(g.values.count)", Tensor.random(s, in: -0.5...0.5, using: &rng)) }
        let w1 = const([8, 3, 3, 3]), b1 = const([8])
        var h = try g.addNode("stem", Conv(kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1]), inputs: [x, w1, b1], output: "stem")
        let a1 = try g.addNode("act", Sigmoid(), inputs: [h], output: "stem.act")
        let w2 = const([8, 1, 3, 3])
        h = try g.addNode("dw", Conv(kernel: [3, 3], pads: [1, 1, 1, 1], group: 8), inputs: [a1, w2], output: "dw")
        h = try g.addNode("act2", Sigmoid(), inputs: [h], output: "dw.act")
        h = try g.addNode("res", Add(), inputs: [h, a1], output: "res")
        let w3 = const([4, 8, 1, 1])
        let p = try g.addNode("proj", Conv(kernel: [1, 1]), inputs: [h, w3], output: "proj")
        h = try g.addNode("pool", GlobalAveragePool(), inputs: [p], output: "pool")
        h = try g.addNode("flat", Flatten(), inputs: [h], output: "flat")
        let wf = const([3, 4]), bf = const([3])
        let y = try g.addNode("fc", Gemm(transB: true), inputs: [h, wf, bf], output: "logits")
        g.outputs = [y]
        let input = Tensor.random([1, 3, 9, 9], in: -2...2, using: &rng)
        try checkGradient(graph: g, output: y, inputs: [input], label: "small MobileNet-like graph")
        try checkGradient(graph: g, output: p, inputs: [input], label: "small graph, mid-layer seed")
    }
}

/// Sharing a conv's buffer with its activation changes nothing observable but the dropped values.
@Suite struct FusedDepthwiseClampTests {
    /// Depthwise + Clip as the importer leaves them (the session fuses the clamp into the convolution), in place and
    /// not, against the definition followed by the clamp; widths below, at and above one 8-float vector.
    @Test(arguments: [[1, 5, 7, 7], [1, 3, 6, 9], [1, 4, 12, 20], [1, 3, 14, 14]])
    func matchesDefinitionThenClamp(_ shape: [Int]) throws {
        var rng = SplitMix64(seed: 32)
        for stride in [1, 2] {
            let conv = Conv(kernel: [3, 3], strides: [stride, stride], pads: [1, 1, 1, 1], group: shape[1])
            try Self.checkThenClamp(conv, input: shape, weights: [shape[1], 1, 3, 3], using: &rng)
        }
    }

    /// conv (random weights and bias) followed by Clamp(0, 0.5), against the definition then the clamp: the clamped
    /// value in place or not, and the pre-activation where it is kept.
    static func checkThenClamp(_ conv: Conv, input shape: [Int], weights: [Int], using rng: inout SplitMix64) throws {
        var g = Graph()
        let x = g.addInput("x", shape: shape)
        let w = Tensor.random(weights, using: &rng), b = Tensor.random([weights[0]], using: &rng)
        let c = try g.addNode("conv", conv, inputs: [x, g.addConstant("w", w), g.addConstant("b", b)], output: "conv.pre")
        let a = try g.addNode("act", Clamp(low: 0, high: 0.5), inputs: [c], output: "act")
        g.outputs = [a]
        let input = Tensor.random(shape, in: -3...3, using: &rng)
        let pre = ConvTests.naive(input, w, b, conv)
        let expected = Tensor(shape: pre.shape, values: pre.array.map { min(max($0, 0), 0.5) })
        for inPlace in [false, true] {
            let session = Session(graph: g, activationsInPlace: inPlace)
            session.run(input)
            assertClose(session.values[a], expected)
            if !inPlace { assertClose(session.values[c], pre) }
        }
    }
}

extension FusedDepthwiseClampTests {
    /// The channel-blocked path with the clamp fused: a 7×7 map (narrower than a step) and a stride-2 one, 21 = 16 + 5 channels.
    @Test(arguments: [1, 2])
    func channelBlocksMatchDefinitionThenClamp(_ stride: Int) throws {
        var rng = SplitMix64(seed: 34)
        let conv = Conv(kernel: [5, 5], strides: [stride, stride], pads: stride == 1 ? [2, 2, 2, 2] : [1, 1, 2, 2], group: 21)
        try Self.checkThenClamp(conv, input: [1, 21, 7 * stride, 7 * stride], weights: [21, 1, 5, 5], using: &rng)
    }
}

extension ConvTests {
    /// The direct path of a dense convolution fuses bias and clamp like the depthwise one: both values, in place or not.
    @Test(arguments: [1, 2])
    func denseDirectMatchesDefinitionThenClamp(_ stride: Int) throws {
        var rng = SplitMix64(seed: 33)
        let conv = Conv(kernel: [3, 3], strides: [stride, stride], pads: stride == 1 ? [1, 1, 1, 1] : [0, 0, 1, 1])
        try FusedDepthwiseClampTests.checkThenClamp(conv, input: [1, 3, 20, 18], weights: [10, 3, 3, 3], using: &rng)
    }
}

@Suite struct InPlaceActivationTests {
    @Test func sameActivationsAndGradientsWithSharedBuffers() throws {
        var rng = SplitMix64(seed: 31)
        var g = Graph()
        let x = g.addInput("x", shape: [1, 3, 9, 9])
        let w1 = g.addConstant("w1", Tensor.random([6, 3, 3, 3], using: &rng)), b1 = g.addConstant("b1", Tensor.random([6], using: &rng))
        let c1 = try g.addNode("conv1", Conv(kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1]), inputs: [x, w1, b1], output: "conv1.bn")
        let a1 = try g.addNode("act1", Clamp(low: 0, high: 6), inputs: [c1], output: "act1")
        let w2 = g.addConstant("w2", Tensor.random([6, 1, 3, 3], using: &rng))
        let c2 = try g.addNode("dw", Conv(kernel: [3, 3], pads: [1, 1, 1, 1], group: 6), inputs: [a1, w2], output: "dw.bn")
        let a2 = try g.addNode("act2", Clamp.relu, inputs: [c2], output: "act2")
        g.outputs = [a2]
        let input = Tensor.random([1, 3, 9, 9], in: -3...3, using: &rng)
        let plain = Session(graph: g), shared = Session(graph: g, activationsInPlace: true)
        #expect(plain.droppedValues.isEmpty)
        #expect(shared.droppedValues == [c1, c2])
        for s in [plain, shared] { s.run(input) }
        assertClose(shared.values[a1], plain.values[a1], rtol: 0, atol: 0)
        assertClose(shared.values[a2], plain.values[a2], rtol: 0, atol: 0)
        for mode in BackwardMode.allCases {
            let seed = Tensor.random([1, 6, 4, 4], using: &rng)
            let gp = try plain.backward(from: a2, seed: .tensor(seed), mode: mode).copy()
            let gs = try shared.backward(from: a2, seed: .tensor(seed), mode: mode).copy()
            assertClose(gs, gp, rtol: 0, atol: 0)
        }
        #expect(throws: NetworkError.notKept("dw.bn", reason: .inPlace)) { try shared.value("dw.bn") }
        #expect(throws: NetworkError.notKept("dw.bn", reason: .inPlace)) { try shared.backward(from: c2, seed: .channel(0, mean: true)) }
    }
}
