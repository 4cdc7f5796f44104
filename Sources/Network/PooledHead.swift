import Tensors
import TensorsAVX512

/// A 1×1 convolution + clamp read only by a global average pool (EfficientNet's head and pool), computed as one step
/// (`PooledPointwise`) for sessions that keep only the graph's outputs: the convolution's map is never written, so
/// sessions that may read it do not fuse.
final class PooledHead {
    /// A worker's buffer (every pixel tile's sums) up to 2 MB, as `SmallBlock`'s: a model file's map size cannot make it
    /// large. EfficientNet's 7×7 head takes 9 KB; maps up to about 100×100 fuse.
    static let maxSlotBytes = SmallBlock.maxSlotBytes
    private let s: PooledPointwise.Shapes
    private let packed: Tensor, slots: Tensor
    private let x: Tensor, y: Tensor, clamp: (low: Float, high: Float)

    /// The fused pair, when `conv` is a 1×1 convolution on our kernel with a clamp and constant weights, `pool` reads its
    /// clamped output, the buffers fit `maxSlotBytes`, and the CPU has AVX-512; else nil.
    init?(conv: ForwardArgs, pool: ForwardArgs) {
        guard KernelChoice.wide, let cs = conv.scratch as? Conv.Scratch, cs.path == .pointwise, let e = conv.epilogue,
              pool.inputs.count == 1, pool.inputs[0].data == e.output.data else { return nil }
        let x = conv.inputs[0], w = conv.inputs[1]
        guard x.shape.count == 4, w.shape.count == 4, x.shape[1] == w.shape[1], pool.output.count == x.shape[0] * w.shape[0]
        else { return nil }
        let s = PooledPointwise.Shapes(inputs: w.shape[1], outputs: w.shape[0], plane: x.shape[2] * x.shape[3], lanes: 16)
        guard s.fit, s.slotFloats * MemoryLayout<Float>.stride <= Self.maxSlotBytes else { return nil }
        self.s = s
        (self.x, y, clamp) = (x, pool.output, (e.low, e.high))
        packed = Tensor(shape: [s.packedFloats])
        PooledPointwise.pack(s, weights: w.data, bias: conv.inputs.count > 2 ? UnsafePointer(conv.inputs[2].data) : nil, into: packed.data)
        slots = Tensor(shape: [s.slotFloats * DepthwiseScratch.slots])
    }

    /// Both nodes' forward pass: the pool's output.
    func run() {
        let n = x.shape[0], inImage = x.count / n
        for image in 0..<n {
            PooledPointwiseAVX512.run(s, packed: packed.data, x: x.data + image * inImage, y: y.data + image * s.outputs,
                                      slots: slots.data, maxSlots: DepthwiseScratch.slots, clamp: clamp)
        }
    }
}
