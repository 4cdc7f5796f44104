import Foundation
import Tensors
import TestSupport
import Testing

/// im2col against its definition, and fold as its exact adjoint: ⟨unfold(x), c⟩ = ⟨x, fold(c)⟩.
@Suite struct Im2ColTests {
    static let geometries = [
        ConvGeometry(inH: 5, inW: 7, kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        ConvGeometry(inH: 9, inW: 8, kernelH: 3, kernelW: 2, strideH: 2, strideW: 3, padTop: 0, padLeft: 1, padBottom: 2, padRight: 1),
        ConvGeometry(inH: 8, inW: 9, kernelH: 3, kernelW: 3, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationH: 2, dilationW: 2),
        // A stem's stride 2 on rows wide enough for the 16-float loads, TF-SAME and symmetric padding.
        ConvGeometry(inH: 9, inW: 45, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, padBottom: 1, padRight: 1),
        ConvGeometry(inH: 6, inW: 38, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
    ]

    @Test(arguments: geometries)
    func unfoldMatchesDefinitionAndFoldIsItsAdjoint(_ g: ConvGeometry) {
        var rng = SplitMix64(seed: 3)
        let channels = 3
        let x = Tensor.random([channels, g.inH, g.inW], using: &rng)
        let rows = channels * g.kernelH * g.kernelW, plane = g.outH * g.outW
        let col = Tensor(shape: [rows, plane], repeating: .nan)   // every element, padding zeros included, must be written
        Im2Col.unfold(x.data, channels: channels, g, into: col.data)
        for c in 0..<channels { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW { for oy in 0..<g.outH { for ox in 0..<g.outW {
            let iy = oy * g.strideH - g.padTop + ky * g.dilationH, ix = ox * g.strideW - g.padLeft + kx * g.dilationW
            let inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW
            let expected = inside ? x[(c * g.inH + iy) * g.inW + ix] : 0
            #expect(col[((c * g.kernelH + ky) * g.kernelW + kx) * plane + oy * g.outW + ox] == expected)
        } } } } }
        let c = Tensor.random([rows, plane], using: &rng)
        let folded = Tensor(shape: x.shape)
        Im2Col.fold(c.data, channels: channels, g, addingInto: folded.data)
        let lhs = (0..<col.count).reduce(0.0) { $0 + Double(col[$1]) * Double(c[$1]) }
        let rhs = (0..<x.count).reduce(0.0) { $0 + Double(x[$1]) * Double(folded[$1]) }
        #expect(abs(lhs - rhs) < 1e-4 * max(1, abs(lhs)))
    }

    @Test func parallelForEachVisitsEveryIndexOnce() {
        for threads in [1, 2, 3] {
            Parallel.threads = threads
            let counts = Tensor(shape: [1000])
            Parallel.forEach(1000) { counts[$0] += 1 }
            #expect(counts.array.allSatisfy { $0 == 1 })
            var seen = [Int](repeating: 0, count: 7)
            seen.withUnsafeMutableBufferPointer { buf in
                let p = buf.baseAddress!
                Parallel.forChunks(7, maxChunks: 4) { range, _ in for i in range { p[i] += 1 } }
            }
            #expect(seen == [1, 1, 1, 1, 1, 1, 1])
        }
        Parallel.threads = 1
    }
}

/// The worker pool under many short jobs with sleeps between them, from several threads at once.
@Suite struct SpinPoolTests {
    @Test func manyJobsWithIdleGapsNeverLoseAWakeUp() async {
        Parallel.threads = 3
        defer { Parallel.threads = 1 }
        await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<3 {
                group.addTask {
                    var ok = true
                    for round in 0..<300 {
                        let counts = Tensor(shape: [64])
                        Parallel.forEach(64) { counts[$0] += 1 }
                        ok = ok && counts.array.allSatisfy { $0 == 1 }
                        // Gaps long enough for the helpers to stop spinning and go to sleep.
                        if round % 3 == caller { usleep(2000) }
                    }
                    return ok
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
