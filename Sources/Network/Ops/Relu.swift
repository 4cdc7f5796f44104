import Tensors

/// Clamps to [low, high]: Relu is [0, ∞), Relu6 / Clip(0, 6) is [0, 6].
///
/// Backward modes (DESIGN.md §3) treat the whole clamp as a ReLU-like gate:
/// gradient passes where the forward input was inside (low, high); deconvnet passes where the
/// incoming gradient is positive, ignoring the forward input; guided requires both.
public struct Clamp: Op {
    public let low: Float
    public let high: Float
    public let kind: String

    /// ONNX Relu.
    public static let relu = Clamp(low: 0, high: .infinity, kind: "Relu")

    public init(low: Float, high: Float, kind: String = "Clip") {
        self.low = low; self.high = high; self.kind = kind
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw NetworkError.shapeMismatch(op: kind, detail: "expects 1 input, got \(inputs.count)") }
        return inputs[0]
    }

    public func forward(_ a: ForwardArgs) {
        let x = a.inputs[0].data, y = a.output.data, lo = low, hi = high
        for i in 0..<a.output.count { y[i] = min(max(x[i], lo), hi) }
    }

    public func backward(_ a: BackwardArgs) {
        guard let gx = a.inputGrads[0]?.data else { return }
        let x = a.inputs[0].data, gy = a.outputGrad.data
        // Branch-free 8-wide masks: the per-element `where` loop did not vectorize and was a tenth of an ascent step.
        let n = a.output.count, o = a.overwrite
        switch a.mode {
        case .gradient: Self.gate(n, x, gy, gx, overwrite: o) { x, _ in (x .> low) .& (x .< high) }
        case .deconvnet: Self.gate(n, x, gy, gx, overwrite: o) { _, g in g .> 0 }
        case .guided: Self.gate(n, x, gy, gx, overwrite: o) { x, g in (g .> 0) .& (x .> low) .& (x .< high) }
        }
    }

    public func overwritesInputGradient(scratch: AnyObject?) -> Bool { true }
    public var gradientInPlace: Bool { true }

    /// gx[i] += gy[i] where `pass(x, gy)` holds (NaN fails every comparison, so it never passes); with `overwrite`,
    /// gx[i] = gy[i] there and 0 elsewhere.
    @inline(__always)
    static func gate(_ n: Int, _ x: UnsafeMutablePointer<Float>, _ gy: UnsafeMutablePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                     overwrite: Bool, _ pass: (SIMD8<Float>, SIMD8<Float>) -> SIMDMask<SIMD8<Int32>>) {
        let xr = UnsafeRawPointer(x), gr = UnsafeRawPointer(gy), out = UnsafeMutableRawPointer(gx)
        var i = 0
        // `overwrite` is loop-invariant, so the compiler unswitches it: the overwriting loop never reads gx.
        while i + 8 <= n {
            let xv = xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let gv = gr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let acc = overwrite ? SIMD8<Float>() : out.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            out.storeBytes(of: acc.replacing(with: acc + gv, where: pass(xv, gv)), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            let acc = overwrite ? 0 : gx[i]
            gx[i] = pass(SIMD8(repeating: x[i]), SIMD8(repeating: gy[i]))[0] ? acc + gy[i] : acc
            i += 1
        }
    }
}
