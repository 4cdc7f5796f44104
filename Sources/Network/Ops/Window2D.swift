import Tensors

/// ONNX `auto_pad`: how pads are derived when they are not given explicitly.
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

/// The 2-D sliding window shared by Conv, MaxPool and AveragePool: kernel, strides, pads, dilations,
/// ceil mode and auto_pad, in ONNX's order and with its defaults.
///
/// Built only through a validating initializer, so every window an op holds has a 2-D kernel, positive
/// kernel/stride/dilation, non-negative pads and values small enough that no size computed from them
/// overflows. `auto_pad` is resolved per input size (a model may be run at another image size).
public struct Window2D: Sendable, Equatable {
    /// [kH, kW].
    public let kernel: [Int]
    /// [sH, sW]; ONNX default 1.
    public let strides: [Int]
    /// [top, left, bottom, right] (ONNX: x1_begin, x2_begin, x1_end, x2_end); used when `autoPad` is `.notSet`.
    public let pads: [Int]
    /// [dH, dW]; ONNX default 1.
    public let dilations: [Int]
    /// Output size rounds up instead of down (pooling only).
    public let ceilMode: Bool
    /// Overrides `pads` unless `.notSet`.
    public let autoPad: AutoPad

    /// The largest kernel, stride, dilation or pad accepted: far beyond any real CNN, small enough that
    /// spans and padded sizes computed from it cannot overflow.
    public static let maxValue = 1 << 20

    /// A validated window; omitted attributes take ONNX's defaults. Throws `NetworkError.invalidAttribute`
    /// naming the attribute and its value.
    public init(kernel: [Int], strides: [Int]? = nil, pads: [Int]? = nil, dilations: [Int]? = nil,
                ceilMode: Bool = false, autoPad: AutoPad = .notSet, op: String = "window") throws(NetworkError) {
        func check(_ name: String, _ v: [Int], count: Int, minimum: Int) throws(NetworkError) {
            guard v.count == count else {
                throw .invalidAttribute(op: op, attribute: name, value: "\(v)", reason: "needs \(count) values for a 2-D window (only 2-D is supported)")
            }
            guard v.allSatisfy({ $0 >= minimum && $0 <= Self.maxValue }) else {
                let what = minimum > 0 ? "positive" : "non-negative"
                throw .invalidAttribute(op: op, attribute: name, value: "\(v)", reason: "every value must be \(what) and at most \(Self.maxValue)")
            }
        }
        let strides = strides ?? [1, 1], pads = pads ?? [0, 0, 0, 0], dilations = dilations ?? [1, 1]
        try check("kernel_shape", kernel, count: 2, minimum: 1)
        try check("strides", strides, count: 2, minimum: 1)
        try check("dilations", dilations, count: 2, minimum: 1)
        try check("pads", pads, count: 4, minimum: 0)
        self.kernel = kernel; self.strides = strides; self.pads = pads; self.dilations = dilations
        self.ceilMode = ceilMode; self.autoPad = autoPad
    }

    /// A window written in code (tests, built-in graphs): an invalid one is a programming error.
    public static func literal(kernel: [Int], strides: [Int]? = nil, pads: [Int]? = nil, dilations: [Int]? = nil,
                               ceilMode: Bool = false, autoPad: AutoPad = .notSet) -> Window2D {
        do {
            return try Window2D(kernel: kernel, strides: strides, pads: pads, dilations: dilations, ceilMode: ceilMode, autoPad: autoPad)
        } catch {
            preconditionFailure("invalid window: \(error)")
        }
    }

    /// Pads [top, left, bottom, right] and output size over an input plane of `inH`×`inW`.
    public func resolve(inH: Int, inW: Int) -> (pads: [Int], outH: Int, outW: Int) {
        let r = axis(inH, 0), c = axis(inW, 1)
        return ([r.head, c.head, r.tail, c.tail], r.out, c.out)
    }

    /// The convolution geometry (see `ConvGeometry`) over an `inH`×`inW` plane; `auto_pad` resolved.
    public func convGeometry(inH: Int, inW: Int) -> ConvGeometry {
        let p = resolve(inH: inH, inW: inW).pads
        return ConvGeometry(inH: inH, inW: inW, kernelH: kernel[0], kernelW: kernel[1], strideH: strides[0], strideW: strides[1],
                            padTop: p[0], padLeft: p[1], padBottom: p[2], padRight: p[3],
                            dilationH: dilations[0], dilationW: dilations[1])
    }

    /// The pooling geometry over an `inH`×`inW` plane.
    func geometry(inH: Int, inW: Int) -> PoolGeometry {
        let rows = axis(inH, 0), cols = axis(inW, 1)
        return PoolGeometry(inH: inH, inW: inW, outH: rows.out, outW: cols.out,
                            kernelH: kernel[0], kernelW: kernel[1], strideH: strides[0], strideW: strides[1],
                            padTop: rows.head, padLeft: cols.head, padBottom: rows.tail, padRight: cols.tail,
                            dilationH: dilations[0], dilationW: dilations[1])
    }

    /// Pads and output length along one spatial axis (0 when the window does not fit).
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
