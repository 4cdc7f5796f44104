import Foundation
import Imaging
import Tensors

/// One of Yosinski et al.'s (2015) regularizers: an operator applied to the image x (paper pixel
/// scale, [1,3,H,W]) after each gradient step. A preset lists them in the order they run.
public enum Regularizer: Sendable, Hashable, Codable, CustomStringConvertible {
    /// L2 decay: x ← (1 − θ_decay)·x.
    case decay(Float)
    /// Gaussian blur of each colour plane with σ = θ_b_width, on steps where step % θ_b_every == 0.
    case blur(width: Float, every: Int)
    /// Zero the pixels whose colour norm ‖x[:, y, x]‖ is below the θ_n_pct percentile of all pixels' norms.
    case clipSmallNorm(percentile: Float)
    /// Zero the pixels whose linearized contribution |Σ_c x ⊙ ∇x| is below the θ_c_pct percentile.
    case clipSmallContribution(percentile: Float)

    public var description: String {
        switch self {
        case let .decay(t): return "decay \(t)"
        case let .blur(w, e): return "blur σ=\(w) every \(e)"
        case let .clipSmallNorm(p): return "clip norm <p\(p)"
        case let .clipSmallContribution(p): return "clip contribution <p\(p)"
        }
    }

    /// Whether the operator does anything (a zero θ disables it, as in the paper's table).
    public var isActive: Bool {
        switch self {
        case let .decay(t): return t != 0
        case let .blur(w, e): return w > 0 && e > 0
        case let .clipSmallNorm(p), let .clipSmallContribution(p): return p > 0
        }
    }

    /// Applies the operator in place; `gradient` is this step's d(objective)/dx, `step` counts from 0.
    public func apply(to x: Tensor, gradient: Tensor, step: Int, width: Int, height: Int) {
        guard isActive else { return }
        let plane = width * height, channels = x.count / plane
        switch self {
        case let .decay(t):
            let k = 1 - t
            for i in 0..<x.count { x.data[i] *= k }
        case let .blur(sigma, every):
            guard step % every == 0 else { return }
            for c in 0..<channels {
                let p = GaussianFilter.apply(Array(x.buffer[(c * plane)..<((c + 1) * plane)]), width: width, height: height, sigma: sigma)
                for i in 0..<plane { x.data[c * plane + i] = p[i] }
            }
        case let .clipSmallNorm(pct):
            let norms = (0..<plane).map { i in
                (0..<channels).reduce(Float(0)) { $0 + x.data[$1 * plane + i] * x.data[$1 * plane + i] }.squareRoot()
            }
            Self.zeroPixels(x, where: norms, below: Percentile.linear(norms, pct), plane: plane, channels: channels)
        case let .clipSmallContribution(pct):
            let benefit = (0..<plane).map { i in
                abs((0..<channels).reduce(Float(0)) { $0 + x.data[$1 * plane + i] * gradient.data[$1 * plane + i] })
            }
            Self.zeroPixels(x, where: benefit, below: Percentile.linear(benefit, pct), plane: plane, channels: channels)
        }
    }

    private static func zeroPixels(_ x: Tensor, where score: [Float], below threshold: Float, plane: Int, channels: Int) {
        for i in 0..<plane where score[i] < threshold {
            for c in 0..<channels { x.data[c * plane + i] = 0 }
        }
    }
}

/// Percentiles as numpy's default computes them (linear interpolation between closest ranks).
public enum Percentile {
    /// The `p`-th percentile (0…100) of `values`.
    public static func linear(_ values: [Float], _ p: Float) -> Float {
        precondition(!values.isEmpty, "percentile of nothing")
        let rank = Double(p) / 100 * Double(values.count - 1)
        let lo = Int(rank.rounded(.down)), hi = min(lo + 1, values.count - 1)
        let f = Float(rank - Double(lo))
        let low = OrderStatistic.value(atRank: lo, in: values)
        let high = hi == lo || f == 0 ? low : OrderStatistic.value(atRank: hi, in: values)
        return low + (high - low) * f
    }
}

/// Gaussian filtering as scipy.ndimage.gaussian_filter does it (the toolbox's blur): kernel radius
/// ⌊4σ + 0.5⌋, normalized weights, 'reflect' borders (d c b a | a b c d | d c b a).
public enum GaussianFilter {
    /// The normalized 1-D kernel for σ.
    public static func kernel(sigma: Float) -> [Float] {
        let r = Int(4 * sigma + 0.5)
        let k = (-r...r).map { Float(Foundation.exp(-0.5 * Double($0 * $0) / Double(sigma * sigma))) }
        let s = k.reduce(0, +)
        return k.map { $0 / s }
    }

    /// Index `i` reflected into 0..<n (edge sample repeated).
    @inline(__always) static func reflect(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var j = i
        let period = 2 * n
        j = ((j % period) + period) % period
        return j < n ? j : period - 1 - j
    }

    /// A plane of `width`×`height` floats blurred separably (rows, then columns).
    ///
    /// Each row is first copied with its reflected border, and both passes add whole shifted rows, so the inner loops
    /// are contiguous and vectorize (reflecting every tap's index cost two divisions per tap, a tenth of an ascent
    /// step). Every output sums its taps in the same order as the direct formula, so results are unchanged.
    public static func apply(_ values: [Float], width: Int, height: Int, sigma: Float) -> [Float] {
        guard sigma > 0, width > 0, height > 0 else { return values }
        let k = kernel(sigma: sigma), r = k.count / 2
        var tmp = [Float](repeating: 0, count: width * height), out = tmp
        var padded = [Float](repeating: 0, count: width + 2 * r)
        values.withUnsafeBufferPointer { v in
            tmp.withUnsafeMutableBufferPointer { t in
                padded.withUnsafeMutableBufferPointer { p in
                    for y in 0..<height {
                        for x in 0..<(width + 2 * r) { p[x] = v[y * width + reflect(x - r, width)] }
                        let row = t.baseAddress! + y * width, src = p.baseAddress!
                        for j in 0..<k.count {
                            let w = k[j]
                            for x in 0..<width { row[x] += w * src[x + j] }
                        }
                    }
                }
            }
        }
        tmp.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    let row = o.baseAddress! + y * width
                    for j in 0..<k.count {
                        let src = t.baseAddress! + reflect(y + j - r, height) * width, w = k[j]
                        for x in 0..<width { row[x] += w * src[x] }
                    }
                }
            }
        }
        return out
    }
}
