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
    /// The workers' buffers, zero where padding stands (`SmallBlocks.run`).
    private let slots: Tensor
    private let x: Tensor, y: Tensor, residual: Bool
    private let expandClamp: (low: Float, high: Float), depthwiseClamp: (low: Float, high: Float)
    private let weights: (expand: ForwardArgs, depthwise: ForwardArgs, project: ForwardArgs)
    /// The packed weights, once `pack(into:)` has made them.
    private var packed: Tensor?

    /// The fused block, when the kernels and shapes allow it (`SmallBlocks.Shapes.fit`, AVX-512, a 1×1 project without
    /// its own clamp, constant weights); else nil. `add`, if given, must read the project's output and the block's input.
    /// It runs once `pack(into:)` has given it its weights.
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
        weights = (expand, depthwise, project)
        slots = Tensor(shape: [s.slotFloats * DepthwiseScratch.slots])
    }

    /// Floats of the packed weights.
    var packedFloats: Int { s.packedFloats }

    /// Packs the weights into `t` (`packedFloats` floats). A session packs all its blocks into one tensor, in the order
    /// they run: one mapping on huge pages (`Tensor`), which the pass streams from one block to the next.
    func pack(into t: Tensor) {
        precondition(t.count >= s.packedFloats, "SmallBlock.pack: \(t.count) floats for \(s.packedFloats)")
        func bias(_ a: ForwardArgs) -> UnsafePointer<Float>? { a.inputs.count > 2 ? UnsafePointer(a.inputs[2].data) : nil }
        SmallBlocks.pack(s, expandWeights: weights.expand.inputs[1].data, expandBias: bias(weights.expand),
                         depthwiseWeights: weights.depthwise.inputs[1].data, depthwiseBias: bias(weights.depthwise),
                         projectWeights: weights.project.inputs[1].data, projectBias: bias(weights.project), into: t.data)
        packed = t
    }

    /// The block's forward pass: its output (the Add's, or the project's) as the nodes would have written it.
    func run() {
        guard let packed else { preconditionFailure("SmallBlock.run before pack(into:)") }
        let n = x.shape[0], inImage = x.count / n, outImage = y.count / n
        let p = SmallBlocks.Packed(s, at: packed.data)
        for image in 0..<n {
            let xi = UnsafePointer(x.data + image * inImage)
            SmallBlocksAVX512.run(s, p, x: xi, residual: residual ? xi : nil, y: y.data + image * outImage, slots: slots.data,
                                  maxSlots: DepthwiseScratch.slots, expandClamp: expandClamp, depthwiseClamp: depthwiseClamp)
        }
    }
}
