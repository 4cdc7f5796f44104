import NeuralNetwork
import Tensors
import TensorsAVX512
import Testing
import TestSupport

/// An inverted-residual block on a small map that an outputs-only session computes as one step (`SmallBlock`), against
/// the block written as plain loops in Double.
@Suite struct SmallBlockTests {
    struct Block: Sendable, CustomStringConvertible {
        let input: [Int], expanded: Int, outputs: Int, kernel: Int, stride: Int, pads: [Int], residual: Bool
        var description: String { "x\(input) e\(expanded) o\(outputs) k\(kernel) s\(stride) p\(pads)\(residual ? " +x" : "")" }
    }

    /// 100 and 50 expanded channels end in a chunk that overlaps the one before (48 a chunk); 70, 52, 24 and 12
    /// outputs are not whole tiles of 48 (tiles of three, two and one vectors); 45 and 42 pixels are not whole tiles
    /// of 7 (and 42 output pixels from 143 input pixels at stride 2); 70, 40 and 24 input channels (on 14×14) take the
    /// expand several passes; 14×14 outputs as EfficientNet's middle blocks; 28×28 inputs with 40 channels take the
    /// expand blocks of 15 tiles in one pass each; batch 2 runs the block per image.
    @Test(arguments: [
        Block(input: [1, 70, 7, 7], expanded: 100, outputs: 70, kernel: 5, stride: 1, pads: [2, 2, 2, 2], residual: true),
        Block(input: [1, 16, 13, 11], expanded: 96, outputs: 52, kernel: 3, stride: 2, pads: [1, 1, 1, 1], residual: false),
        Block(input: [2, 24, 5, 9], expanded: 50, outputs: 24, kernel: 3, stride: 1, pads: [1, 1, 1, 1], residual: true),
        Block(input: [1, 40, 14, 14], expanded: 144, outputs: 12, kernel: 5, stride: 2, pads: [1, 1, 2, 2], residual: false),
        Block(input: [1, 24, 14, 14], expanded: 96, outputs: 24, kernel: 5, stride: 1, pads: [2, 2, 2, 2], residual: true),
        Block(input: [1, 40, 28, 28], expanded: 96, outputs: 40, kernel: 3, stride: 2, pads: [0, 0, 1, 1], residual: false),
    ])
    func matchesLoops(_ b: Block) throws {
        try #require(PointwiseAVX512.supported, "SmallBlock runs on AVX-512 only; this machine has it (FACTS.md)")
        var rng = SplitMix64(seed: 41)
        var g = Graph()
        let x = g.addInput("x", shape: b.input)
        let c = b.input[1]
        let we = Tensor.random([b.expanded, c, 1, 1], in: -0.5...0.5, using: &rng), be = Tensor.random([b.expanded], using: &rng)
        let wd = Tensor.random([b.expanded, 1, b.kernel, b.kernel], in: -0.5...0.5, using: &rng), bd = Tensor.random([b.expanded], using: &rng)
        let wp = Tensor.random([b.outputs, b.expanded, 1, 1], in: -0.5...0.5, using: &rng), bp = Tensor.random([b.outputs], using: &rng)
        var names = 0
        func const(_ t: Tensor) -> Int { names += 1; return g.addConstant("w\(names)", t) }
        let e = try g.addNode("expand", Conv(kernel: [1, 1]), inputs: [x, const(we), const(be)], output: "expand.bn")
        let ea = try g.addNode("expand.act", Clamp(low: 0, high: 6, kind: "Clip"), inputs: [e], output: "expand")
        let d = try g.addNode("dw", Conv(kernel: [b.kernel, b.kernel], strides: [b.stride, b.stride], pads: b.pads, group: b.expanded),
                              inputs: [ea, const(wd), const(bd)], output: "dw.bn")
        let da = try g.addNode("dw.act", Clamp(low: 0, high: 6, kind: "Clip"), inputs: [d], output: "dw")
        var out = try g.addNode("project", Conv(kernel: [1, 1]), inputs: [da, const(wp), const(bp)], output: "project")
        if b.residual { out = try g.addNode("res", Add(), inputs: [out, x], output: "res") }
        g.outputs = [out]
        let lean = Session(graph: g, outputsOnly: true)
        #expect(lean.fusedBlockNodes == ["expand"], "\(lean.fusedBlockNodes)")
        withThreads { threads in
            // Twice: the second pass must not read what the first left in the buffers.
            for pass in 0..<2 {
                let input = Tensor.random(b.input, in: -2...2, using: &rng)
                lean.run(input)
                let expected = Self.loops(b, input, we, be, wd, bd, wp, bp, outShape: g.values[out].shape)
                assertClose(lean.values[out], expected, rtol: 1e-4, atol: 1e-4, "\(b), threads \(threads), pass \(pass)")
            }
        }
    }

    /// Planes of fewer than 16 output pixels (one transpose) are left to the nodes, and so are input planes over
    /// 784 pixels (`SmallBlock.maxInputPlane`) and output planes over 196 (`SmallBlock.maxPlane`).
    @Test func smallerPlanesAreNotFused() throws {
        func fused(_ input: [Int], stride: Int = 1) throws -> [String] {
            Session(graph: try Self.chain(input: input, expanded: 64, stride: stride), outputsOnly: true).fusedBlockNodes
        }
        #expect(try fused([1, 8, 3, 3]).isEmpty)
        #expect(try fused([1, 8, 30, 30], stride: 2).isEmpty)
        #expect(try fused([1, 8, 28, 28]).isEmpty)
        #expect(try fused([1, 8, 28, 28], stride: 2) == ["expand"])
        #expect(try fused([1, 8, 14, 14]) == ["expand"])
    }

    /// Expand → clamp → 3×3 depthwise → clamp → project, random weights.
    static func chain(input: [Int], expanded: Int, stride: Int) throws -> Graph {
        var rng = SplitMix64(seed: 43)
        var g = Graph()
        let x = g.addInput("x", shape: input)
        func const(_ s: [Int]) -> Int { g.addConstant("w\(g.values.count)", Tensor.random(s, using: &rng)) }
        let e = try g.addNode("expand", Conv(kernel: [1, 1]), inputs: [x, const([expanded, input[1], 1, 1])], output: "expand.bn")
        let ea = try g.addNode("expand.act", Clamp(low: 0, high: 6, kind: "Clip"), inputs: [e], output: "expand")
        let d = try g.addNode("dw", Conv(kernel: [3, 3], strides: [stride, stride], pads: [1, 1, 1, 1], group: expanded),
                              inputs: [ea, const([expanded, 1, 3, 3])], output: "dw.bn")
        let da = try g.addNode("dw.act", Clamp(low: 0, high: 6, kind: "Clip"), inputs: [d], output: "dw")
        g.outputs = [try g.addNode("project", Conv(kernel: [1, 1]), inputs: [da, const([input[1], expanded, 1, 1])], output: "project")]
        return g
    }

    /// clamp(project(clamp(depthwise(clamp(expand(x))))) (+ x) in Double, straight from the definitions.
    static func loops(_ b: Block, _ x: Tensor, _ we: Tensor, _ be: Tensor, _ wd: Tensor, _ bd: Tensor, _ wp: Tensor, _ bp: Tensor,
                      outShape: [Int]) -> Tensor {
        let (n, c, h, w) = (b.input[0], b.input[1], b.input[2], b.input[3])
        let (oh, ow) = (outShape[2], outShape[3]), k = b.kernel, e = b.expanded
        func clamp(_ v: Double) -> Double { min(max(v, 0), 6) }
        let y = Tensor(shape: outShape)
        for image in 0..<n {
            var expanded = [Double](repeating: 0, count: e * h * w)
            for ch in 0..<e {
                for p in 0..<(h * w) {
                    var s = Double(be[ch])
                    for i in 0..<c { s += Double(we[ch * c + i]) * Double(x[(image * c + i) * h * w + p]) }
                    expanded[ch * h * w + p] = clamp(s)
                }
            }
            var dw = [Double](repeating: 0, count: e * oh * ow)
            for ch in 0..<e {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var s = Double(bd[ch])
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy * b.stride - b.pads[0] + ky, ix = ox * b.stride - b.pads[1] + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                s += Double(wd[(ch * k + ky) * k + kx]) * expanded[(ch * h + iy) * w + ix]
                            }
                        }
                        dw[(ch * oh + oy) * ow + ox] = clamp(s)
                    }
                }
            }
            for o in 0..<b.outputs {
                for p in 0..<(oh * ow) {
                    var s = Double(bp[o])
                    for ch in 0..<e { s += Double(wp[o * e + ch]) * dw[ch * oh * ow + p] }
                    if b.residual { s += Double(x[(image * c + o) * h * w + p]) }
                    y[(image * b.outputs + o) * oh * ow + p] = Float(s)
                }
            }
        }
        return y
    }
}
