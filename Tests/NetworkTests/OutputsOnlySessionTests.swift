import NeuralNetwork
import Tensors
import TensorsAVX512
import Testing
import TestSupport

/// A session that keeps only the graph's outputs shares buffers between values whose lifetimes do not overlap; its
/// outputs must equal a plain session's bit for bit, frame after frame (but for the fused head's sums, see below).
@Suite struct OutputsOnlySessionTests {
    /// Inverted-residual-like blocks: fused conv + clamp pairs, maps that shrink and grow, a residual read long after it
    /// is made, a branch nobody reads, and two outputs.
    static func graph() throws -> (Graph, residual: Int, logits: Int, mid: Int) {
        var rng = SplitMix64(seed: 31)
        var g = Graph()
        let x = g.addInput("x", shape: [1, 3, 12, 12])
        func const(_ s: [Int]) -> Int { g.addConstant("w\(g.values.count)", Tensor.random(s, in: -0.5...0.5, using: &rng)) }
        func convClamp(_ name: String, _ input: Int, _ conv: Conv, _ w: [Int]) throws -> Int {
            let c = try g.addNode(name, conv, inputs: [input, const(w), const([w[0]])], output: "\(name).bn")
            return try g.addNode("\(name).act", Clamp(low: 0, high: 6, kind: "Clip"), inputs: [c], output: name)
        }
        let stem = try convClamp("stem", x, Conv(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]), [8, 3, 3, 3])
        let expand = try convClamp("expand", stem, Conv(kernel: [1, 1]), [24, 8, 1, 1])
        let dw = try convClamp("dw", expand, Conv(kernel: [3, 3], pads: [1, 1, 1, 1], group: 24), [24, 1, 3, 3])
        let project = try g.addNode("project", Conv(kernel: [1, 1]), inputs: [dw, const([8, 24, 1, 1])], output: "project")
        let residual = try g.addNode("res", Add(), inputs: [project, stem], output: "res")
        _ = try g.addNode("unused", Sigmoid(), inputs: [expand], output: "unused")
        // A window op reads its neighbours' inputs while writing: its output must not take its input's buffer.
        let pooled = try g.addNode("maxpool", MaxPool(kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1]), inputs: [residual],
                                   output: "maxpool")
        let down = try convClamp("down", pooled, Conv(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 8), [8, 1, 3, 3])
        let wide = try convClamp("wide", down, Conv(kernel: [1, 1]), [40, 8, 1, 1])
        let pool = try g.addNode("pool", GlobalAveragePool(), inputs: [wide], output: "pool")
        let flat = try g.addNode("flat", Flatten(), inputs: [pool], output: "flat")
        let logits = try g.addNode("fc", Gemm(transB: true), inputs: [flat, const([5, 40]), const([5])], output: "logits")
        g.outputs = [logits, down]
        return (g, residual, logits, down)
    }

    /// Runs both sessions on the same three random inputs of `graph()`'s shape, calling `check` after each frame.
    static func runFrames(_ plain: Session, _ lean: Session, seed: UInt64, check: (Int) throws -> Void) rethrows {
        var rng = SplitMix64(seed: seed)
        for frame in 0..<3 {
            let input = Tensor.random([1, 3, 12, 12], in: -2...2, using: &rng)
            plain.run(input)
            lean.run(input)
            try check(frame)
        }
    }

    @Test func outputsEqualAPlainSessionsAndBuffersAreShared() throws {
        let (g, residual, logits, mid) = try Self.graph()
        let plain = Session(graph: g), lean = Session(graph: g, outputsOnly: true)
        #expect(!PointwiseAVX512.supported || lean.pooledHeadNodes == ["wide"], "\(lean.pooledHeadNodes)")
        Self.runFrames(plain, lean, seed: 32) { frame in
            // The logits come through `wide` and the pool, which the lean session computes as one step (`PooledHead`):
            // the same sums in another order. Everything before them is bit for bit.
            assertClose(lean.values[logits], plain.values[logits], rtol: 1e-6, atol: 1e-6, "logits, frame \(frame)")
            assertClose(lean.values[mid], plain.values[mid], rtol: 0, atol: 0, "second output, frame \(frame)")
        }
        // Fewer distinct buffers than stored values: some were shared.
        let computed = g.values.indices.filter { g.values[$0].constant == nil }
        let plainBuffers = Set(computed.map { plain.values[$0].data }), leanBuffers = Set(computed.map { lean.values[$0].data })
        #expect(leanBuffers.count < plainBuffers.count - 4, "\(leanBuffers.count) buffers against \(plainBuffers.count)")
        #expect(throws: NetworkError.notKept("res", reason: .buffersShared)) { try lean.value("res") }
        #expect(throws: NetworkError.notKept("logits", reason: .buffersShared)) {
            try lean.backward(from: logits, seed: .unit(channel: 0, y: 0, x: 0))
        }
        #expect(!lean.droppedValues.contains(logits) && lean.droppedValues.contains(residual))
    }
}

extension OutputsOnlySessionTests {
    /// Values named in `keeping` stay readable, bit for bit a plain session's, frame after frame: a block's output, the
    /// expanded map inside a fusable expand → depthwise pair, and a pre-activation map a fused clamp would overwrite.
    /// Everything else still shares buffers, and the head not kept is still pooled as it is made.
    @Test func keptValuesStayReadableAndTheRestStillShares() throws {
        let (g, residual, logits, _) = try Self.graph()
        let kept = try ["res", "expand", "expand.bn"].map { try g.id(of: $0) }
        let plain = Session(graph: g), lean = Session(graph: g, outputsOnly: true, keeping: kept)
        #expect(!PointwiseAVX512.supported || lean.pooledHeadNodes == ["wide"], "\(lean.pooledHeadNodes)")
        try Self.runFrames(plain, lean, seed: 34) { frame in
            for v in kept {
                let name = g.values[v].name
                assertClose(try lean.value(name), plain.values[v], rtol: 0, atol: 0, "\(name), frame \(frame)")
            }
            assertClose(lean.values[logits], plain.values[logits], rtol: 1e-6, atol: 1e-6, "logits, frame \(frame)")
        }
        let dw = try g.id(of: "dw")
        #expect(kept.allSatisfy { !lean.droppedValues.contains($0) } && lean.droppedValues.contains(dw))
        #expect(!lean.droppedValues.contains(residual))
        #expect(throws: NetworkError.notKept("dw", reason: .buffersShared)) { try lean.value("dw") }
    }

    struct Pair: Sendable, CustomStringConvertible {
        let input: [Int], stride: Int, kernel: Int, pads: [Int]
        var description: String { "x\(input) k\(kernel) s\(stride) p\(pads)" }
    }

    /// Expand 1×1 → clamp → depthwise → clamp with an expanded tensor over 1 MB, as `blocks.1` has: an outputs-only
    /// session computes the pair in bands of rows (`ExpandDepthwise`), and its outputs must match a plain session's at
    /// 1 and 2 threads. Not bit for bit: a band's 1×1 product splits its columns into strips differently.
    @Test(arguments: [
        Pair(input: [2, 5, 69, 61], stride: 1, kernel: 3, pads: [1, 1, 1, 1]),   // batch 2, odd sizes
        Pair(input: [1, 5, 70, 62], stride: 2, kernel: 3, pads: [0, 0, 1, 1]),   // TF-SAME stride 2, as blocks.1
        Pair(input: [1, 5, 70, 62], stride: 2, kernel: 3, pads: [1, 1, 1, 1]),   // odd top padding: bands start a row early
        Pair(input: [1, 5, 66, 64], stride: 2, kernel: 5, pads: [1, 1, 2, 2]),   // 5×5 stride 2, as blocks.3
        Pair(input: [1, 5, 64, 67], stride: 1, kernel: 5, pads: [2, 2, 2, 2]),   // 5×5: four rows shared at each band boundary
    ])
    func expandDepthwiseInBandsMatchesAPlainSession(_ c: Pair) throws {
        var rng = SplitMix64(seed: 33)
        var g = Graph()
        let x = g.addInput("x", shape: c.input)
        func const(_ s: [Int]) -> Int { g.addConstant("w\(g.values.count)", Tensor.random(s, in: -0.5...0.5, using: &rng)) }
        let channels = 64
        // The expand reads a value no later node reads, as large as the depthwise output, which could take its buffer
        // if the plan freed it before the bands are done with it.
        let before = try g.addNode("before", Conv(kernel: [1, 1]), inputs: [x, const([channels, c.input[1], 1, 1])], output: "before")
        let e = try g.addNode("expand", Conv(kernel: [1, 1]), inputs: [before, const([channels, channels, 1, 1]), const([channels])],
                              output: "expand.bn")
        let ea = try g.addNode("expand.act", Clamp(low: 0, high: 6, kind: "Clip"), inputs: [e], output: "expand")
        let d = try g.addNode("dw", Conv(kernel: [c.kernel, c.kernel], strides: [c.stride, c.stride], pads: c.pads, group: channels),
                              inputs: [ea, const([channels, 1, c.kernel, c.kernel]), const([channels])], output: "dw.bn")
        let da = try g.addNode("dw.act", Clamp(low: 0, high: 6, kind: "Clip"), inputs: [d], output: "dw")
        let p = try g.addNode("project", Conv(kernel: [1, 1]), inputs: [da, const([3, channels, 1, 1]), const([3])], output: "project")
        let out = try g.addNode("after", Conv(kernel: [1, 1]), inputs: [p, const([2, 3, 1, 1])], output: "after")
        g.outputs = [out]
        let plain = Session(graph: g), lean = Session(graph: g, outputsOnly: true)
        #expect(lean.bandedNodes == [["expand", "dw"]] && plain.bandedNodes.isEmpty)
        withThreads { threads in
            let input = Tensor.random(c.input, in: -2...2, using: &rng)
            plain.run(input)
            lean.run(input)
            for v in g.outputs { assertClose(lean.values[v], plain.values[v], "\(g.values[v].name), threads \(threads)") }
        }
    }
}
