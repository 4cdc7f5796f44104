import NeuralNetwork
import Tensors
import TensorsAVX512
import Testing
import TestSupport

/// A 1×1 convolution + clamp read only by a global average pool, which an outputs-only session computes as one step
/// (`PooledHead`), against the two written as plain loops in Double.
@Suite struct PooledHeadTests {
    struct Head: Sendable, CustomStringConvertible {
        let input: [Int], outputs: Int
        var description: String { "x\(input) o\(outputs)" }
    }

    /// 70 outputs are a tile of three vectors and one of two (padded to 80), 20 a tile of two, 5 of one; 300 input
    /// channels take three passes (128 a pass), 3 one; 45 and 12 pixels are not whole tiles of 7 (the last overlaps
    /// the one before and must be summed once), 7 is one tile; batch 2 runs per image.
    @Test(arguments: [
        Head(input: [1, 300, 7, 7], outputs: 70),
        Head(input: [2, 40, 9, 5], outputs: 20),
        Head(input: [1, 3, 3, 4], outputs: 5),
        Head(input: [1, 129, 7, 1], outputs: 48),
    ])
    func matchesLoops(_ h: Head) throws {
        try #require(PointwiseAVX512.supported, "PooledHead runs on AVX-512 only; this machine has it (FACTS.md)")
        var rng = SplitMix64(seed: 47)
        let (g, w, b, out) = try Self.graph(h, using: &rng)
        let lean = Session(graph: g, outputsOnly: true)
        #expect(lean.pooledHeadNodes == ["head"], "\(lean.pooledHeadNodes)")
        withThreads { threads in
            // Twice: the second pass must not read what the first left in the buffers.
            for pass in 0..<2 {
                let input = Tensor.random(h.input, in: -2...2, using: &rng)
                lean.run(input)
                assertClose(lean.values[out], Self.loops(h, input, w, b), rtol: 1e-4, atol: 1e-4, "\(h), threads \(threads), pass \(pass)")
            }
        }
    }

    /// Planes under one tile of 7 pixels are left to the nodes, and so are planes whose sums would take more than 2 MB
    /// (`PooledHead.maxSlotBytes`: 110×110 pixels, against 100×100) and a head whose map is also read elsewhere.
    @Test func whereItDoesNotApply() throws {
        var rng = SplitMix64(seed: 53)
        let (small, _, _, _) = try Self.graph(Head(input: [1, 8, 2, 3], outputs: 16), using: &rng)
        #expect(Session(graph: small, outputsOnly: true).pooledHeadNodes.isEmpty)
        let (large, _, _, _) = try Self.graph(Head(input: [1, 2, 110, 110], outputs: 3), using: &rng)
        #expect(Session(graph: large, outputsOnly: true).pooledHeadNodes.isEmpty)
        let (fits, _, _, _) = try Self.graph(Head(input: [1, 2, 100, 100], outputs: 3), using: &rng)
        #expect(Session(graph: fits, outputsOnly: true).pooledHeadNodes == ["head"])
        var (g, _, _, _) = try Self.graph(Head(input: [1, 8, 7, 7], outputs: 16), using: &rng)
        #expect(Session(graph: g, outputsOnly: true).pooledHeadNodes == ["head"])
        g.outputs.append(try g.id(of: "head.act"))
        #expect(Session(graph: g, outputsOnly: true).pooledHeadNodes.isEmpty)
        #expect(Session(graph: g).pooledHeadNodes.isEmpty)
    }

    /// x → 1×1 conv → clamp(0, 6) → global average pool, random weights; returns the weights and the pool's value.
    static func graph(_ h: Head, using rng: inout SplitMix64) throws -> (Graph, Tensor, Tensor, Int) {
        var g = Graph()
        let x = g.addInput("x", shape: h.input)
        let w = Tensor.random([h.outputs, h.input[1], 1, 1], in: -0.5...0.5, using: &rng), b = Tensor.random([h.outputs], using: &rng)
        let c = try g.addNode("head", Conv(kernel: [1, 1]), inputs: [x, g.addConstant("w", w), g.addConstant("b", b)], output: "head.bn")
        let a = try g.addNode("head.clamp", Clamp(low: 0, high: 6, kind: "Clip"), inputs: [c], output: "head.act")
        let out = try g.addNode("pool", GlobalAveragePool(), inputs: [a], output: "pool")
        g.outputs = [out]
        return (g, w, b, out)
    }

    /// mean over pixels of clamp(b + w · x), in Double, straight from the definitions.
    static func loops(_ h: Head, _ x: Tensor, _ w: Tensor, _ b: Tensor) -> Tensor {
        let (n, c, plane) = (h.input[0], h.input[1], h.input[2] * h.input[3])
        let y = Tensor(shape: [n, h.outputs, 1, 1])
        for image in 0..<n {
            for o in 0..<h.outputs {
                var total = 0.0
                for p in 0..<plane {
                    var s = Double(b[o])
                    for i in 0..<c { s += Double(w[o * c + i]) * Double(x[(image * c + i) * plane + p]) }
                    total += min(max(s, 0), 6)
                }
                y[image * h.outputs + o] = Float(total / Double(plane))
            }
        }
        return y
    }
}
