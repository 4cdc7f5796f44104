/// ONNX `auto_pad`: how pooling pads are derived when they are not given explicitly.
public enum AutoPad: String, Sendable {
    /// Use the explicit `pads` attribute.
    case notSet = "NOTSET"
    /// Pad so that output = ceil(input / stride), the extra pad at the end.
    case sameUpper = "SAME_UPPER"
    /// Likewise, the extra pad at the beginning.
    case sameLower = "SAME_LOWER"
    /// No padding.
    case valid = "VALID"
}

/// The shared attributes of 2-D pooling (MaxPool, AveragePool), in ONNX's order and defaults.
public struct PoolWindow: Sendable, Equatable {
    /// [kH, kW].
    public let kernel: [Int]
    /// [sH, sW]; ONNX default 1.
    public let strides: [Int]
    /// [top, left, bottom, right] (ONNX: x1_begin, x2_begin, x1_end, x2_end).
    public let pads: [Int]
    /// [dH, dW]; ONNX default 1.
    public let dilations: [Int]
    /// Output size rounds up instead of down.
    public let ceilMode: Bool
    /// Overrides `pads` unless `.notSet`.
    public let autoPad: AutoPad

    /// A window; omitted attributes take ONNX's defaults.
    public init(kernel: [Int], strides: [Int]? = nil, pads: [Int]? = nil, dilations: [Int]? = nil,
                ceilMode: Bool = false, autoPad: AutoPad = .notSet) {
        precondition(kernel.count == 2, "PoolWindow: only 2-D pooling is supported, kernel \(kernel)")
        self.kernel = kernel
        self.strides = strides ?? [1, 1]
        self.pads = pads ?? [0, 0, 0, 0]
        self.dilations = dilations ?? [1, 1]
        self.ceilMode = ceilMode
        self.autoPad = autoPad
        precondition(self.strides.count == 2 && self.pads.count == 4 && self.dilations.count == 2,
                     "PoolWindow: strides \(self.strides), pads \(self.pads), dilations \(self.dilations) must be 2-D")
    }

    /// The concrete geometry over an input plane of `inH`×`inW`.
    func geometry(inH: Int, inW: Int) -> PoolGeometry {
        let rows = axis(inH, 0), cols = axis(inW, 1)
        return PoolGeometry(inH: inH, inW: inW, outH: rows.out, outW: cols.out,
                            kernelH: kernel[0], kernelW: kernel[1], strideH: strides[0], strideW: strides[1],
                            padTop: rows.head, padLeft: cols.head, padBottom: rows.tail, padRight: cols.tail,
                            dilationH: dilations[0], dilationW: dilations[1])
    }

    /// Pads and output length along one spatial axis.
    private func axis(_ n: Int, _ d: Int) -> (head: Int, tail: Int, out: Int) {
        let span = dilations[d] * (kernel[d] - 1) + 1, s = strides[d]
        switch autoPad {
        case .valid:
            return (0, 0, n >= span ? (n - span) / s + 1 : 0)
        case .sameUpper, .sameLower:
            let out = (n + s - 1) / s
            let total = max(0, (out - 1) * s + span - n)
            let small = total / 2, big = total - small
            return autoPad == .sameUpper ? (small, big, out) : (big, small, out)
        case .notSet:
            let head = pads[d], tail = pads[d + 2]
            let room = n + head + tail - span
            guard room >= 0 else { return (head, tail, 0) }
            var out = (ceilMode ? (room + s - 1) / s : room / s) + 1
            // As onnxruntime and PyTorch: a ceil-mode window may not start inside the end padding.
            if ceilMode, (out - 1) * s >= n + head { out -= 1 }
            return (head, tail, out)
        }
    }
}

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

extension PoolWindow {
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
