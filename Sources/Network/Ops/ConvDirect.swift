import Glibc
import Tensors
import TensorsAVX512

/// The direct path of a dense convolution with few taps per output (the stem: 3 channels × 3×3 = 27), in the flat form
/// of the depthwise kernel (`FlatPlan`, `FlatPlanes`): all input channels are split into phase planes once, and each
/// output channel is one sum over every channel's taps, with bias and clamp fused.
///
/// Why: im2col wrote a matrix of taps × pixels (1.35 MB for the stem) and the GEMM read it back, for a product whose
/// k = 27 is too short to amortize that traffic; here the phase planes (the input's size) are read in bands of output
/// rows that stay in L1 while every output channel is computed from them. Backward keeps the im2col path.
final class DirectConvScratch {
    /// Dense convolutions with at most this many taps per output (input channels × kernel area) take this path.
    static let maxTaps = 32
    let plan: FlatPlan
    /// The input's phase planes, all channels; zeroed once, only the interior is written.
    let source: UnsafeMutablePointer<Float>
    /// The filters in blocks of `FlatPlanes.channelBlock` output channels: per tap, the block's weights (zero past the last channel).
    let filters: UnsafeMutablePointer<Float>
    let blocks: Int
    private let storage: (source: Tensor, filters: Tensor)

    init?(_ g: ConvGeometry, inputChannels: Int, outputChannels: Int) {
        guard inputChannels * g.kernelH * g.kernelW <= Self.maxTaps, let plan = FlatPlan(g, channels: inputChannels) else { return nil }
        self.plan = plan
        blocks = (outputChannels + FlatPlanes.channelBlock - 1) / FlatPlanes.channelBlock
        storage = (Tensor(shape: [plan.slotCount]), Tensor(shape: [blocks * FlatPlanes.channelBlock * plan.taps]))
        (source, filters) = (storage.source.data, storage.filters.data)
    }
}

enum DirectConv {
    /// y[o] = bias[o] + Σ_c w[o, c] ⋆ x[c] for one batch item; `epilogue` as in `Depthwise.forward`.
    static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                        outputChannels m: Int, inputChannels cin: Int, _ g: ConvGeometry, _ d: DirectConvScratch,
                        epilogue: ClampEpilogue?, outputOffset: Int) {
        let plan = d.plan, inPlane = g.inH * g.inW, plane = plan.count, perFilter = cin * g.kernelH * g.kernelW
        Parallel.forChunks(cin, maxChunks: cin) { range, _ in
            for c in range { plan.fill(x + c * inPlane, rows: g.inH, into: d.source + c * plan.channelCount) }
        }
        let activated = epilogue.map { $0.output.data + outputOffset }
        let low = epilogue?.low ?? 0, high = epilogue?.high ?? 0
        let cb = FlatPlanes.channelBlock
        plan.table.withUnsafeBufferPointer { table in
            plan.columns.withUnsafeBufferPointer { columns in
                let order = plan.filterOrder(table)
                for block in 0..<d.blocks {
                    for t in 0..<plan.taps {
                        for j in 0..<cb {
                            let o = block * cb + j
                            d.filters[(block * plan.taps + t) * cb + j] = o < m ? w[o * perFilter + order[t]] : 0
                        }
                    }
                }
                let taps = FlatPlanes.Taps(base: table.baseAddress!, groups: plan.groups, taps: plan.taps, width: plan.width, count: plane)
                // Bands of about two output rows: the phase-plane rows they read (for the stem, 27 taps over 16 KB) stay in L1
                // while every output channel is computed from them. Every band holds at least 32 positions; the kernel needs 16.
                let bands = max(1, plane / max(64, 2 * plan.width))
                var outs: [FlatPlanes.Output] = [], biases: [Float] = []
                for o in 0..<(d.blocks * cb) {
                    let at = min(o, m - 1) * plane
                    outs.append(FlatPlanes.Output(preActivation: activated == y ? nil : y + at, activated: activated.map { $0 + at },
                                                  low: low, high: high))
                    biases.append(o < m ? bias?[o] ?? 0 : 0)
                }
                outs.withUnsafeBufferPointer { outs in
                    biases.withUnsafeBufferPointer { biases in
                        Parallel.forChunks(bands, maxChunks: bands) { range, _ in
                            for band in range {
                                let positions = (band * plane / bands)..<((band + 1) * plane / bands)
                                for block in 0..<d.blocks {
                                    let filters = d.filters + block * plan.taps * cb, channels = min(cb, m - block * cb)
                                    let o = outs.baseAddress! + block * cb, b = biases.baseAddress! + block * cb
                                    if KernelChoice.wide {
                                        DepthwiseAVX512.convolveChannels(taps, filters: filters, from: d.source, columns: columns.baseAddress!,
                                                                         biases: b, o, channels: channels, positions: positions)
                                    } else {
                                        FlatPlanes.convolveChannels(SIMD8<Float>.self, taps, filters: filters, from: d.source,
                                                                    columns: columns.baseAddress!, biases: b, o, channels: channels, positions: positions)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
