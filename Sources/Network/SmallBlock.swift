import Glibc
import Tensors
import TensorsAVX512

/// An inverted-residual block on a small map computed as one step (`SmallBlocks`), for sessions that keep only the
/// graph's outputs (`Session(outputsOnly:)`): expand 1×1 + clamp → depthwise + clamp (the channel-blocked form's
/// planes) → project 1×1, and the residual Add when the project's only reader adds the block's input to it.
/// Its expanded, depthwise and project values are then not computed at all; sessions that may read them do not fuse.
///
/// The packed weights are a copy of the block's weights (in EfficientNet-Lite0, 12 MB for its twelve fused blocks), made
/// once per session from constants already in memory: at most twice their size (chunks of 48 channels, outputs
/// padded to 16). The workers' buffers are bounded by `maxSlotBytes`; pages of slots no thread uses are never touched.
final class SmallBlock {
    /// Output planes up to 14×14 pixels and input planes up to 28×28 (EfficientNet's blocks from `blocks.5` on): a
    /// worker's buffers (up to about 500 KB) then stay in L2. `blocks.4` (28×28 out) fused was level at 1 thread and
    /// 10 % slower at 2 (its 240 channels are five chunks, three for one thread and two for the other).
    static let maxPlane = 196, maxInputPlane = 784
    /// And a worker's buffers up to 2 MB: more would not stay in L2, and a file's channel counts cannot make them large.
    static let maxSlotBytes = 2 << 20
    private let s: SmallBlocks.Shapes
    private let packed: UnsafeMutablePointer<Float>, slots: UnsafeMutablePointer<Float>
    private let x: Tensor, y: Tensor, residual: Bool
    private let expandClamp: (low: Float, high: Float), depthwiseClamp: (low: Float, high: Float)

    /// The fused block, when the kernels and shapes allow it (`SmallBlocks.Shapes.fit`, AVX-512, a 1×1 project without
    /// its own clamp, constant weights); else nil. `add`, if given, must read the project's output and the block's input.
    init?(expand: ForwardArgs, depthwise: ForwardArgs, project: ForwardArgs, add: ForwardArgs?) {
        guard KernelChoice.wide,
              let es = expand.scratch as? Conv.Scratch, es.path == .pointwise, let e1 = expand.epilogue,
              let ds = depthwise.scratch as? Conv.Scratch, ds.path == .depthwise, let sc = ds.depthwise, let e2 = depthwise.epilogue,
              sc.g.inH * sc.g.inW <= Self.maxInputPlane, let geometry = BlockedPlan.geometry(sc.g, maxPlane: Self.maxPlane),
              let ps = project.scratch as? Conv.Scratch, ps.path == .pointwise, project.epilogue == nil else { return nil }
        let x = expand.inputs[0], we = expand.inputs[1], wd = depthwise.inputs[1], wp = project.inputs[1]
        guard x.shape[0] == project.output.shape[0], we.shape[0] == wd.shape[0], wp.shape[1] == we.shape[0] else { return nil }
        let out = add?.output ?? project.output
        if let add {
            // y = project + x with equal shapes, in either order: no broadcast.
            let ins = add.inputs.map { $0.data }
            guard ins.contains(project.output.data), ins.contains(x.data), add.inputs.allSatisfy({ $0.shape == out.shape }),
                  x.shape == out.shape else { return nil }
        }
        let s = SmallBlocks.Shapes(geometry: geometry, inputs: we.shape[1], expanded: we.shape[0], outputs: wp.shape[0], lanes: 16)
        guard s.fit, s.slotFloats * MemoryLayout<Float>.stride <= Self.maxSlotBytes else { return nil }
        self.s = s
        (self.x, self.y, residual) = (x, out, add != nil)
        (expandClamp, depthwiseClamp) = ((e1.low, e1.high), (e2.low, e2.high))
        guard let p = malloc(s.packedFloats * MemoryLayout<Float>.stride),
              let q = calloc(s.slotFloats * DepthwiseScratch.slots, MemoryLayout<Float>.stride) else {
            fatalError("SmallBlock: out of memory for \(s.packedFloats + s.slotFloats * DepthwiseScratch.slots) floats")
        }
        packed = p.bindMemory(to: Float.self, capacity: s.packedFloats)
        slots = q.bindMemory(to: Float.self, capacity: s.slotFloats * DepthwiseScratch.slots)
        func bias(_ a: ForwardArgs) -> UnsafePointer<Float>? { a.inputs.count > 2 ? UnsafePointer(a.inputs[2].data) : nil }
        SmallBlocks.pack(s, expandWeights: we.data, expandBias: bias(expand), depthwiseWeights: wd.data, depthwiseBias: bias(depthwise),
                         projectWeights: wp.data, projectBias: bias(project), into: packed)
    }
    deinit { free(packed); free(slots) }

    /// The block's forward pass: its output (the Add's, or the project's) as the nodes would have written it.
    func run() {
        let n = x.shape[0], inImage = x.count / n, outImage = y.count / n
        let p = SmallBlocks.Packed(s, at: packed)
        for image in 0..<n {
            let xi = UnsafePointer(x.data + image * inImage)
            SmallBlocksAVX512.run(s, p, x: xi, residual: residual ? xi : nil, y: y.data + image * outImage, slots: slots,
                                  maxSlots: DepthwiseScratch.slots, expandClamp: expandClamp, depthwiseClamp: depthwiseClamp)
        }
    }
}
