import Foundation
import Tensors

/// A bilinear resampling of planar images by shift, scale and rotation about the centre, with its
/// exact adjoint (so gradients flow back through the jitter). Borders replicate the edge pixels.
public struct AffineWarp: Sendable {
    public var dx: Float, dy: Float, scale: Float, radians: Float

    public init(dx: Float = 0, dy: Float = 0, scale: Float = 1, radians: Float = 0) {
        self.dx = dx; self.dy = dy; self.scale = scale; self.radians = radians
    }

    /// A random warp drawn from `jitter`.
    public static func random(_ jitter: Jitter, using rng: inout SeededGenerator) -> AffineWarp {
        let s = jitter.shift
        return AffineWarp(dx: Float(Int.random(in: -s...s, using: &rng)), dy: Float(Int.random(in: -s...s, using: &rng)),
                          scale: Float.random(in: jitter.scale, using: &rng),
                          radians: Float.random(in: -jitter.degrees...jitter.degrees, using: &rng) * .pi / 180)
    }

    /// For each output pixel, its index and its four source indices and bilinear weights.
    private func taps(width w: Int, height h: Int, _ body: (Int, Taps) -> Void) {
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2
        let c = cos(radians) / scale, s = sin(radians) / scale
        for y in 0..<h {
            for x in 0..<w {
                // Output pixel → source position: inverse rotation and scale about the centre, minus the shift.
                let u = Float(x) - cx - dx, v = Float(y) - cy - dy
                let sx = min(max(c * u + s * v + cx, 0), Float(w - 1))
                let sy = min(max(-s * u + c * v + cy, 0), Float(h - 1))
                let x0 = Int(sx), y0 = Int(sy), x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
                let fx = sx - Float(x0), fy = sy - Float(y0)
                body(y * w + x, Taps(i0: y0 * w + x0, i1: y0 * w + x1, i2: y1 * w + x0, i3: y1 * w + x1,
                                     k0: (1 - fx) * (1 - fy), k1: fx * (1 - fy), k2: (1 - fx) * fy, k3: fx * fy))
            }
        }
    }

    /// One output pixel's four source indices (within a plane) and their weights.
    private struct Taps {
        let i0: Int, i1: Int, i2: Int, i3: Int
        let k0: Float, k1: Float, k2: Float, k3: Float
    }

    /// The warped image of planar `x` ([.., C, H, W]).
    public func apply(_ x: Tensor, width w: Int, height h: Int) -> Tensor {
        let out = Tensor(shape: x.shape)
        apply(x, into: out, width: w, height: h)
        return out
    }

    /// The warped image of `x` written over `out` (as many elements): each value is stored once, never read back, so
    /// a fresh buffer's pages are not first mapped to the shared zero page and then copied (a TLB shootdown each).
    public func apply(_ x: Tensor, into out: Tensor, width w: Int, height h: Int) {
        precondition(out.count == x.count, "AffineWarp.apply: \(x.count) values into \(out.count)")
        let plane = w * h, channels = x.count / plane, src = x.data, dst = out.data
        taps(width: w, height: h) { o, t in
            for c in 0..<channels {
                let p = src + c &* plane
                dst[c &* plane &+ o] = t.k0 * p[t.i0] + t.k1 * p[t.i1] + t.k2 * p[t.i2] + t.k3 * p[t.i3]
            }
        }
    }

    /// The adjoint: d/dx from d/d(warped image).
    public func adjoint(_ g: Tensor, width w: Int, height h: Int) -> Tensor {
        let out = Tensor(shape: g.shape)
        adjoint(g, into: out, width: w, height: h)
        return out
    }

    /// The adjoint written over `out` (as many elements as `g`).
    public func adjoint(_ g: Tensor, into out: Tensor, width w: Int, height h: Int) {
        precondition(out.count == g.count, "AffineWarp.adjoint: \(g.count) values into \(out.count)")
        let plane = w * h, channels = g.count / plane, src = g.data, dst = out.data
        dst.update(repeating: 0, count: out.count)
        taps(width: w, height: h) { o, t in
            for c in 0..<channels {
                let q = dst + c &* plane, v = src[c &* plane &+ o]
                q[t.i0] += t.k0 * v; q[t.i1] += t.k1 * v; q[t.i2] += t.k2 * v; q[t.i3] += t.k3 * v
            }
        }
    }
}
