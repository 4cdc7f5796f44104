import Tensors

/// ONNX Pad with the pads (and constant value) as attributes, resolved by the importer from the
/// `pads` / `constant_value` / `axes` inputs of opset ≥ 11.
///
/// `pads` is [x1_begin, x2_begin, …, x1_end, x2_end, …] over all axes; negative pads crop.
/// Every output element reads one input element (or the constant), found per axis by the mode;
/// backward adds gy to that element, so edge/reflect borders accumulate. True gradient in every mode.
public struct Pad: Op {
    /// How positions outside the input get their value.
    public enum Mode: String, Sendable {
        case constant, reflect, edge, wrap
    }

    public let kind = "Pad"
    /// [x1_begin, …, x1_end, …] over all axes; negative crops.
    public let pads: [Int]
    /// How outside positions get their value.
    public let mode: Mode
    /// The fill of constant mode.
    public let value: Float

    /// A pad; ONNX defaults: constant mode, value 0.
    public init(pads: [Int], mode: Mode = .constant, value: Float = 0) {
        self.pads = pads; self.mode = mode; self.value = value
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count >= 1, pads.count == 2 * inputs[0].count else {
            throw NetworkError.shapeMismatch(op: kind, detail: "pads \(pads) for input \(inputs.first ?? [])")
        }
        guard pads.allSatisfy({ (-Window2D.maxValue...Window2D.maxValue).contains($0) }) else {
            throw NetworkError.invalidAttribute(op: kind, attribute: "pads", value: "\(pads)", reason: "each pad must be within ±\(Window2D.maxValue)")
        }
        let x = inputs[0], r = x.count
        let out = x.indices.map { x[$0] + pads[$0] + pads[$0 + r] }
        guard out.allSatisfy({ $0 >= 0 }) else { throw NetworkError.shapeMismatch(op: kind, detail: "pads \(pads) crop \(x) below zero") }
        if mode != .constant, x.indices.contains(where: { x[$0] == 0 && out[$0] > 0 }) {
            throw NetworkError.shapeMismatch(op: kind, detail: "\(mode) padding of an empty axis in \(x)")
        }
        return out
    }

    /// Per output axis, the input index each position reads (−1: the constant); an odometer.
    final class Plan {
        let maps: [UnsafeMutablePointer<Int32>]
        let inStrides: [Int], outShape: [Int]
        let counter: UnsafeMutablePointer<Int>
        init(maps: [UnsafeMutablePointer<Int32>], inStrides: [Int], outShape: [Int]) {
            self.maps = maps; self.inStrides = inStrides; self.outShape = outShape
            counter = .allocate(capacity: max(outShape.count, 1))
        }
        deinit { maps.forEach { $0.deallocate() }; counter.deallocate() }
    }

    /// The input index read by output position `o` of an axis of length `n` padded by `begin`.
    func source(_ o: Int, begin: Int, n: Int) -> Int {
        let i = o - begin
        if (0..<n).contains(i) { return i }
        switch mode {
        case .constant: return -1
        case .edge: return min(max(i, 0), n - 1)
        case .wrap: return ((i % n) + n) % n
        case .reflect:
            guard n > 1 else { return 0 }
            let period = 2 * (n - 1), j = ((i % period) + period) % period
            return j < n ? j : period - j
        }
    }

    public func makeScratch(inputs: [[Int]], output: [Int]) -> AnyObject? {
        let x = inputs[0], r = x.count
        var strides = [Int](repeating: 1, count: r)
        for d in stride(from: r - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * x[d + 1] }
        let maps = (0..<r).map { d -> UnsafeMutablePointer<Int32> in
            let m = UnsafeMutablePointer<Int32>.allocate(capacity: max(output[d], 1))
            for o in 0..<output[d] { m[o] = Int32(source(o, begin: pads[d], n: x[d])) }
            return m
        }
        return Plan(maps: maps, inStrides: strides, outShape: output)
    }

    /// Calls `row(outOffset, inOffset or −1)` for every innermost output row, in order.
    @inline(__always)
    private func forEachRow(_ p: Plan, _ row: (Int, Int) -> Void) {
        let r = p.outShape.count, inner = r > 0 ? p.outShape[r - 1] : 1
        let rows = p.outShape.dropLast().reduce(1, *)
        guard inner > 0 else { return }
        let idx = p.counter
        idx.update(repeating: 0, count: max(r, 1))
        for k in 0..<rows {
            var off = 0
            for d in 0..<(r - 1) {
                let s = Int(p.maps[d][idx[d]])
                if s < 0 { off = -1; break }
                off += s * p.inStrides[d]
            }
            row(k * inner, off)
            var d = r - 2
            while d >= 0 {
                idx[d] += 1
                if idx[d] < p.outShape[d] { break }
                idx[d] = 0
                d -= 1
            }
        }
    }

    public func forward(_ a: ForwardArgs) {
        let p = a.scratch as! Plan, x = a.inputs[0].data, y = a.output.data, v = value
        guard let last = p.maps.last else { y[0] = x[0]; return }
        let inner = p.outShape[p.outShape.count - 1]
        forEachRow(p) { o, i in
            if i < 0 {
                (y + o).update(repeating: v, count: inner)
            } else {
                for j in 0..<inner { let s = Int(last[j]); y[o + j] = s >= 0 ? x[i + s] : v }
            }
        }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let p = a.scratch as! Plan, gy = a.outputGrad.data
        guard let last = p.maps.last else { gx[0] += gy[0]; return }
        let inner = p.outShape[p.outShape.count - 1]
        forEachRow(p) { o, i in
            guard i >= 0 else { return }
            for j in 0..<inner { let s = Int(last[j]); if s >= 0 { gx[i + s] += gy[o + j] } }
        }
    }
}
