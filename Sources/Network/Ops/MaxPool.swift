import Tensors

/// ONNX MaxPool (2-D): y[n,c,oy,ox] = max over the window's taps that lie inside the image.
///
/// Padding never wins (it acts as −∞). Forward records, per output, the flat in-plane index of
/// the winning input (the "switch"); backward routes the output gradient there in every mode —
/// that is exactly the deconvnet's unpooling (Zeiler & Fergus 2014), and the true gradient too.
public struct MaxPool: Op {
    public let kind = "MaxPool"
    public let window: PoolWindow

    /// A max pool; omitted attributes take ONNX's defaults.
    public init(kernel: [Int], strides: [Int]? = nil, pads: [Int]? = nil, dilations: [Int]? = nil,
                ceilMode: Bool = false, autoPad: AutoPad = .notSet) {
        window = PoolWindow(kernel: kernel, strides: strides, pads: pads, dilations: dilations,
                            ceilMode: ceilMode, autoPad: autoPad)
    }

    /// The argmax of every output element, written by forward and read by backward.
    final class Switches {
        let index: UnsafeMutablePointer<Int32>
        let geometry: PoolGeometry
        init(count: Int, geometry: PoolGeometry) {
            index = .allocate(capacity: max(count, 1))
            index.initialize(repeating: -1, count: max(count, 1))
            self.geometry = geometry
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
        let sw = a.scratch as! Switches, g = sw.geometry
        let x = a.inputs[0].data, y = a.output.data, idx = sw.index
        let planes = a.output.shape[0] * a.output.shape[1]
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        Parallel.forEach(planes) { p in
            let src = x + p * inPlane
            var o = p * outPlane
            for oy in 0..<g.outH {
                let r = g.rows(oy)
                for ox in 0..<g.outW {
                    let c = g.cols(ox)
                    var best = -Float.infinity, arg: Int32 = -1
                    for ky in r.taps {
                        let row = (r.start + ky * g.dilationH) * g.inW
                        for kx in c.taps {
                            let i = row + c.start + kx * g.dilationW
                            // Strict '>' keeps the first maximum, as onnxruntime's Indices output does.
                            if src[i] > best { best = src[i]; arg = Int32(i) }
                        }
                    }
                    y[o] = arg >= 0 ? best : 0
                    idx[o] = arg
                    o += 1
                }
            }
        }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let sw = a.scratch as! Switches, g = sw.geometry
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
