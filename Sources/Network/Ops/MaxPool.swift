import Tensors

/// ONNX MaxPool (2-D): y[n,c,oy,ox] = max over the window's taps that lie inside the image.
///
/// Padding never wins (it acts as −∞). Forward records, per output, the flat in-plane index of
/// the winning input (the "switch"); backward routes the output gradient there in every mode —
/// that is exactly the deconvnet's unpooling (Zeiler & Fergus 2014), and the true gradient too.
public struct MaxPool: Op {
    public let kind = "MaxPool"
    /// kernel, strides, pads, dilations, ceil_mode, auto_pad.
    public let window: Window2D

    /// A max pool; omitted attributes take ONNX's defaults.
    public init(kernel: [Int], strides: [Int]? = nil, pads: [Int]? = nil, dilations: [Int]? = nil,
                ceilMode: Bool = false, autoPad: AutoPad = .notSet) {
        window = .literal(kernel: kernel, strides: strides, pads: pads, dilations: dilations, ceilMode: ceilMode, autoPad: autoPad)
    }

    /// A max pool over a validated window (the importer's path).
    public init(window: Window2D) {
        self.window = window
    }

    /// The argmax of every output element, written by forward and read by backward.
    final class Switches {
        let index: UnsafeMutablePointer<Int32>
        let taps: PoolTaps
        init(count: Int, geometry: PoolGeometry) {
            index = .allocate(capacity: max(count, 1))
            index.initialize(repeating: -1, count: max(count, 1))
            taps = PoolTaps(geometry)
        }
        deinit { index.deallocate() }
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        try window.outputShape(inputs, op: kind)
    }

    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? {
        Switches(count: output.elementCount, geometry: window.geometry(inH: inputs[0][2], inW: inputs[0][3]))
    }

    public func forward(_ a: ForwardArgs) {
        let sw = a.scratch as! Switches, t = sw.taps, g = t.geometry
        let x = a.inputs[0].data, y = a.output.data, idx = sw.index
        let planes = a.output.shape[0] * a.output.shape[1]
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        Parallel.forEach(planes) { p in
            let src = x + p * inPlane
            for oy in 0..<g.outH {
                let o = p * outPlane + oy * g.outW
                Self.maxRow(src: src, rows: t.rows(oy), taps: t, y: y + o, index: idx + o)
            }
        }
    }

    /// One output row: taps outermost, output columns innermost.
    ///
    /// The column loop carries no dependency from one output to the next, so it pipelines; a loop
    /// over one window's taps would be a serial compare-select chain. Taps are visited in row-major
    /// window order with a strict '>', so the switch is the first maximum, as in onnxruntime's Indices.
    @inline(__always)
    static func maxRow(src: UnsafeMutablePointer<Float>, rows r: (taps: Range<Int>, start: Int), taps t: PoolTaps,
                       y: UnsafeMutablePointer<Float>, index: UnsafeMutablePointer<Int32>) {
        let g = t.geometry, s = g.strideW
        y.update(repeating: -.infinity, count: g.outW)
        index.update(repeating: -1, count: g.outW)
        for ky in r.taps {
            let rowOffset = (r.start + ky * g.dilationH) * g.inW
            for kx in 0..<g.kernelW {
                let first = rowOffset - g.padLeft + kx * g.dilationW
                for ox in t.columns(tap: kx) {
                    let i = first + ox * s, v = src[i], better = v > y[ox]
                    y[ox] = better ? v : y[ox]
                    index[ox] = better ? Int32(truncatingIfNeeded: i) : index[ox]
                }
            }
        }
        // A window entirely in the padding has no input; it outputs 0 and routes no gradient.
        for ox in 0..<g.outW where index[ox] < 0 { y[ox] = 0 }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let sw = a.scratch as! Switches, g = sw.taps.geometry
        let gy = a.outputGrad.data, idx = sw.index
        let planes = a.output.shape[0] * a.output.shape[1]
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        Parallel.forEach(planes) { p in
            let dst = gx + p * inPlane
            for o in (p * outPlane)..<((p + 1) * outPlane) where idx[o] >= 0 {
                dst[Int(idx[o])] += gy[o]
            }
        }
    }

    public func multiplyAdds(inputs: [[Int]], output: [Int]) -> Int {
        output.elementCount * window.kernel.elementCount
    }
}
