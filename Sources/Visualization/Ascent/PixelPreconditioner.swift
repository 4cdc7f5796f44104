import Foundation
import Tensors

/// Options of the pixel parameterization that shape each step while the pixels stay the variable, so the paper's
/// regularizers and the valid-pixel clamp act on the image exactly as before.
public struct PixelOptions: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Scales, coarsest first: with n octaves the first n-th of the steps moves the image only at 1/2^(n−1) of its
    /// resolution, the next at twice that, the last at full resolution (deep dream's octaves as a step direction).
    public var octaves: Int
    /// Steps in ImageNet's decorrelated colour basis (Lucid's), which favours colours photographs have.
    public var decorrelatedColour: Bool

    /// Octaves (1 = off) and the colour basis.
    public init(octaves: Int = 1, decorrelatedColour: Bool = false) {
        self.octaves = octaves; self.decorrelatedColour = decorrelatedColour
    }

    /// The most octaves a preset may ask for (the coarsest step is then 1/128 of the image).
    public static let maxOctaves = 8

    /// Whether these options change anything.
    public var isActive: Bool { octaves > 1 || decorrelatedColour }

    public var description: String {
        var parts: [String] = []
        if octaves > 1 { parts.append("\(octaves) octaves") }
        if decorrelatedColour { parts.append("decorrelated colour") }
        return parts.isEmpty ? "plain pixels" : parts.joined(separator: ", ")
    }
}

/// The step direction of `PixelOptions`: for x = B z with z the optimizer's variable, a step on z moves x by B Bᵀ ∇ₓ,
/// so the pixels can stay the variable and the gradient is multiplied by B Bᵀ instead (exact for the constant and
/// normalized rules; Adam's per-coordinate scaling then acts on pixels).
public struct PixelPreconditioner: Sendable {
    public let options: PixelOptions
    let width: Int, height: Int
    /// C = M Mᵀ for M the colour basis of `SpectralParameter`, row-major 3×3.
    private let colour: [Float]
    /// Row and column upsampling for each coarse octave's divisor, made once rather than every step.
    private let upsampling: [Int: (rows: BilinearUpsampling, cols: BilinearUpsampling)]

    /// The step direction for an image of `width`×`height`.
    public init(options: PixelOptions, width: Int, height: Int) {
        self.options = options; self.width = width; self.height = height
        let m = SpectralParameter.colour
        var c = [Float](repeating: 0, count: 9)
        for i in 0..<3 {
            for j in 0..<3 {
                for k in 0..<3 { c[i * 3 + j] += m[i * 3 + k] * m[j * 3 + k] }
            }
        }
        colour = c
        upsampling = Dictionary(uniqueKeysWithValues: (1..<Self.scales(options)).map { k in
            (1 << k, (BilinearUpsampling(output: height, factor: 1 << k), BilinearUpsampling(output: width, factor: 1 << k)))
        })
    }

    /// The resolution divisor at `step` of `iterations`: 2^(n−1) in the first octave, 1 in the last.
    public func factor(step: Int, iterations: Int) -> Int {
        let n = Self.scales(options)
        let octave = min(n - 1, step * n / max(iterations, 1))
        return 1 << (n - 1 - octave)
    }

    /// The octaves used: a preset's count held to 1…`maxOctaves` (the catalog refuses others from a manifest).
    private static func scales(_ options: PixelOptions) -> Int { min(max(1, options.octaves), PixelOptions.maxOctaves) }

    /// B Bᵀ g for a [1,3,H,W] gradient.
    public func apply(_ g: Tensor, step: Int, iterations: Int) -> Tensor {
        guard options.isActive else { return g }
        let plane = width * height
        let out = g.copy()
        if options.decorrelatedColour {
            let c = colour
            for i in 0..<plane {
                let a = g.data[i], b = g.data[plane + i], d = g.data[2 * plane + i]
                out.data[i] = c[0] * a + c[1] * b + c[2] * d
                out.data[plane + i] = c[3] * a + c[4] * b + c[5] * d
                out.data[2 * plane + i] = c[6] * a + c[7] * b + c[8] * d
            }
        }
        let f = factor(step: step, iterations: iterations)
        guard f > 1, let (rows, cols) = upsampling[f] else { return out }
        // U Uᵀ / f²: Uᵀ sums about f² pixels into each coarse one, so this keeps the gradient's scale.
        let norm = 1 / Float(f * f)
        for ch in 0..<3 {
            let p = Array(UnsafeBufferPointer(start: out.data + ch * plane, count: plane))
            let coarse = rows.adjoint(cols.adjointRows(p, count: height), columns: cols.input)
            let fine = rows.apply(cols.applyRows(coarse, count: rows.input), columns: width)
            for i in 0..<plane { out.data[ch * plane + i] = fine[i] * norm }
        }
        return out
    }
}

/// Bilinear upsampling of one axis by an integer factor (pixel centres aligned, edges clamped) and its exact adjoint.
struct BilinearUpsampling: Sendable {
    let output: Int, input: Int
    /// For each output index: the two input indices and the second one's weight.
    private let taps: [(Int, Int, Float)]

    init(output: Int, factor: Int) {
        self.output = output
        input = (output + factor - 1) / factor
        let n = input
        taps = (0..<output).map { o in
            let s = min(max((Float(o) + 0.5) / Float(factor) - 0.5, 0), Float(n - 1))
            let i0 = Int(s.rounded(.down))
            return (i0, min(i0 + 1, n - 1), s - Float(i0))
        }
    }

    /// Along rows of a row-major plane with `count` rows of `input` values → `output` values each.
    func applyRows(_ v: [Float], count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count * output)
        for r in 0..<count {
            for (o, t) in taps.enumerated() { out[r * output + o] = v[r * input + t.0] * (1 - t.2) + v[r * input + t.1] * t.2 }
        }
        return out
    }

    /// The adjoint of `applyRows`: `count` rows of `output` values → `input` values each.
    func adjointRows(_ g: [Float], count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count * input)
        for r in 0..<count {
            for (o, t) in taps.enumerated() {
                out[r * input + t.0] += g[r * output + o] * (1 - t.2)
                out[r * input + t.1] += g[r * output + o] * t.2
            }
        }
        return out
    }

    /// Along columns of a plane of `input` rows × `columns` → `output` rows.
    func apply(_ v: [Float], columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: output * columns)
        for (o, t) in taps.enumerated() {
            for x in 0..<columns { out[o * columns + x] = v[t.0 * columns + x] * (1 - t.2) + v[t.1 * columns + x] * t.2 }
        }
        return out
    }

    /// The adjoint of `apply(_:columns:)`: `output` rows → `input` rows.
    func adjoint(_ g: [Float], columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: input * columns)
        for (o, t) in taps.enumerated() {
            for x in 0..<columns {
                out[t.0 * columns + x] += g[o * columns + x] * (1 - t.2)
                out[t.1 * columns + x] += g[o * columns + x] * t.2
            }
        }
        return out
    }
}
