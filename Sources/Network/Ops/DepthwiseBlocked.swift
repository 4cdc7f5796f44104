import Glibc
import Tensors
import TensorsAVX512

/// The channel-blocked form's geometry and buffers (`ChannelBlocks`): one set per worker slot, zeroed once so the
/// padding around each padded buffer's interior stays zero.
final class BlockedPlan {
    /// Output planes up to this size take the channel-blocked form: the 7×7 maps (see BENCHMARKS.md).
    static let maxPlane = 64
    /// And padded input planes up to this size, so a block's buffers stay in L1 and a strided or padded shape from
    /// a file cannot make them large.
    static let maxPadded = 1024
    let geometry: ChannelBlocks.Geometry
    let lanes: Int
    let paddedFloats: Int, stagingFloats: Int, perSlot: Int
    let buffer: UnsafeMutablePointer<Float>
    private let storage: Tensor

    /// The form's geometry and one slot's floats, when it applies to `g`.
    static func layout(_ g: ConvGeometry) -> (geometry: ChannelBlocks.Geometry, lanes: Int, perSlot: Int)? {
        let lanes = KernelChoice.wide ? 16 : 8
        guard let geometry = geometry(g), geometry.fits(lanes: lanes) else { return nil }
        let perSlot = geometry.paddedFloats(lanes: lanes) + 2 * geometry.stagingFloats(lanes: lanes) + (lanes + g.kernelH * g.kernelW + 1) * lanes
        return (geometry, lanes, perSlot)
    }

    /// The pixel-major geometry of `g`, when its output plane has at most `maxPlane` pixels and its padded input
    /// plane at most `maxPadded` (also `SmallBlock`'s condition, with its own `maxPlane`).
    static func geometry(_ g: ConvGeometry, maxPlane: Int = maxPlane) -> ChannelBlocks.Geometry? {
        guard g.strideH == g.strideW, g.strideH <= 2, g.dilationH == 1, g.dilationW == 1, g.outH * g.outW <= maxPlane,
              g.kernelH * g.kernelW <= maxPadded,
              [g.padTop, g.padBottom, g.padLeft, g.padRight, g.inH, g.inW].allSatisfy({ $0 <= maxPadded }) else { return nil }
        let geometry = ChannelBlocks.Geometry(inH: g.inH, inW: g.inW, outH: g.outH, outW: g.outW, kernelH: g.kernelH, kernelW: g.kernelW,
                                              stride: g.strideH, padTop: g.padTop, padLeft: g.padLeft, padBottom: g.padBottom,
                                              padRight: g.padRight)
        return geometry.paddedH * geometry.paddedW <= maxPadded ? geometry : nil
    }

    /// The bytes a plan for `g` allocates (0 when the form does not apply), for the memory plan.
    static func bytes(_ g: ConvGeometry) -> Int { layout(g).map { $0.perSlot * DepthwiseScratch.slots * MemoryLayout<Float>.stride } ?? 0 }

    init?(_ g: ConvGeometry) {
        guard let (geometry, lanes, perSlot) = Self.layout(g) else { return nil }
        (self.geometry, self.lanes, self.perSlot) = (geometry, lanes, perSlot)
        paddedFloats = geometry.paddedFloats(lanes: lanes)
        stagingFloats = geometry.stagingFloats(lanes: lanes)
        storage = Tensor(shape: [perSlot * DepthwiseScratch.slots])
        buffer = storage.data
    }

    func buffers(slot: Int) -> ChannelBlocks.Buffers {
        let padded = buffer + slot * perSlot, staging = padded + paddedFloats, clamped = staging + stagingFloats
        let tile = clamped + stagingFloats, filters = tile + lanes * lanes
        return ChannelBlocks.Buffers(padded: padded, staging: staging, clamped: clamped, tile: tile, filters: filters,
                                     biases: filters + geometry.kernelH * geometry.kernelW * lanes)
    }
}

extension Depthwise {
    /// The channel-blocked form (`ChannelBlocks`): blocks of as many channels as a vector has lanes.
    static func forwardBlocked(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                               channels: Int, _ plan: BlockedPlan, activated: UnsafeMutablePointer<Float>?, low: Float, high: Float) {
        let g = plan.geometry, l = plan.lanes, inPlane = g.inH * g.inW, outPlane = g.outH * g.outW, kk = g.kernelH * g.kernelW
        let blocks = (channels + l - 1) / l
        Parallel.forChunks(blocks, maxChunks: DepthwiseScratch.slots) { range, slot in
            let buffers = plan.buffers(slot: slot)
            for block in range {
                let c = block * l, n = min(l, channels - c)
                let out = output(y: y, activated: activated, at: c * outPlane, low: low, high: high)
                if KernelChoice.wide {
                    DepthwiseAVX512.convolveBlock(g, x: x + c * inPlane, w: w + c * kk, bias: bias.map { $0 + c }, channels: n, buffers,
                                                  preActivation: out.preActivation, activated: out.activated, low: low, high: high)
                } else {
                    ChannelBlocks.convolve(SIMD8<Float>.self, g, x: x + c * inPlane, w: w + c * kk, bias: bias.map { $0 + c }, channels: n,
                                           buffers, preActivation: out.preActivation, activated: out.activated, low: low, high: high)
                }
            }
        }
    }
}
