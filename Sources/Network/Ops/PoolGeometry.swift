/// A pooling window resolved for one input size: output size and the clipped tap ranges.
struct PoolGeometry {
    let inH: Int, inW: Int, outH: Int, outW: Int
    let kernelH: Int, kernelW: Int, strideH: Int, strideW: Int
    let padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    let dilationH: Int, dilationW: Int

    /// The kernel rows of output row `oy` that land inside the image, and the first input row.
    @inline(__always)
    func rows(_ oy: Int) -> (taps: Range<Int>, start: Int) {
        Self.taps(start: oy * strideH - padTop, n: inH, kernel: kernelH, dilation: dilationH)
    }

    /// Likewise for output column `ox`.
    @inline(__always)
    func cols(_ ox: Int) -> (taps: Range<Int>, start: Int) {
        Self.taps(start: ox * strideW - padLeft, n: inW, kernel: kernelW, dilation: dilationW)
    }

    /// Taps k with 0 ≤ start + k·dilation < n.
    @inline(__always)
    static func taps(start: Int, n: Int, kernel: Int, dilation: Int) -> (taps: Range<Int>, start: Int) {
        let lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation
        let hi = start < n ? min(kernel, (n - 1 - start) / dilation + 1) : 0
        return (lo..<max(lo, hi), start)
    }

    /// How many taps of output row `oy` lie inside the padded extent [−padTop, inH + padBottom).
    func paddedRowCount(_ oy: Int) -> Int {
        Self.taps(start: oy * strideH, n: inH + padTop + padBottom, kernel: kernelH, dilation: dilationH).taps.count
    }

    /// Likewise for columns.
    func paddedColCount(_ ox: Int) -> Int {
        Self.taps(start: ox * strideW, n: inW + padLeft + padRight, kernel: kernelW, dilation: dilationW).taps.count
    }
}

/// Per output row and column, the clipped kernel tap range and the input offset of tap 0,
/// tabulated once per shape so the pooling loops do no integer division.
final class PoolTaps {
    let geometry: PoolGeometry
    /// [lo, hi, start] triples for each output row, then for each output column.
    private let table: UnsafeMutablePointer<Int>
    /// For each kernel column kx, [lo, hi): the output columns whose tap kx lies inside the image.
    private let columnsOfTap: UnsafeMutablePointer<Int>

    init(_ g: PoolGeometry) {
        geometry = g
        table = .allocate(capacity: 3 * (g.outH + g.outW))
        columnsOfTap = .allocate(capacity: 2 * g.kernelW)
        for oy in 0..<g.outH { store(oy, g.rows(oy)) }
        for ox in 0..<g.outW { store(g.outH + ox, g.cols(ox)) }
        for kx in 0..<g.kernelW {
            // The valid output columns of one tap are contiguous: found by scanning once per shape.
            let valid = (0..<g.outW).filter { g.cols($0).taps.contains(kx) }
            columnsOfTap[2 * kx] = valid.first ?? 0
            columnsOfTap[2 * kx + 1] = (valid.last ?? -1) + 1
        }
    }
    deinit { table.deallocate(); columnsOfTap.deallocate() }

    /// The output columns whose kernel tap `kx` reads inside the image.
    @inline(__always)
    func columns(tap kx: Int) -> Range<Int> { columnsOfTap[2 * kx]..<columnsOfTap[2 * kx + 1] }

    private func store(_ i: Int, _ t: (taps: Range<Int>, start: Int)) {
        table[3 * i] = t.taps.lowerBound; table[3 * i + 1] = t.taps.upperBound; table[3 * i + 2] = t.start
    }

    /// The in-image kernel rows of output row `oy`, and the input row of tap 0 (possibly negative).
    @inline(__always)
    func rows(_ oy: Int) -> (taps: Range<Int>, start: Int) {
        (table[3 * oy]..<table[3 * oy + 1], table[3 * oy + 2])
    }

    /// Likewise for output column `ox`.
    @inline(__always)
    func cols(_ ox: Int) -> (taps: Range<Int>, start: Int) {
        let i = 3 * (geometry.outH + ox)
        return (table[i]..<table[i + 1], table[i + 2])
    }
}

extension Window2D {
    /// Validates an N×C×H×W input and returns the output shape.
    func outputShape(_ inputs: [[Int]], op: String) throws -> [Int] {
        guard inputs.count == 1, inputs[0].count == 4 else {
            throw NetworkError.shapeMismatch(op: op, detail: "needs one N×C×H×W input, got \(inputs)")
        }
        let x = inputs[0], g = geometry(inH: x[2], inW: x[3])
        guard g.outH > 0, g.outW > 0 else {
            throw NetworkError.shapeMismatch(op: op, detail: "window \(kernel) larger than padded input \(x)")
        }
        return [x[0], x[1], g.outH, g.outW]
    }
}
