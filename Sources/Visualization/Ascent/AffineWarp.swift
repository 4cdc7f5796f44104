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

    /// For each output pixel, the four source indices and bilinear weights (index −1 = none).
    private func taps(width w: Int, height h: Int, _ body: (Int, Int, Float) -> Void) {
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
                let o = y * w + x
                body(o, y0 * w + x0, (1 - fx) * (1 - fy)); body(o, y0 * w + x1, fx * (1 - fy))
                body(o, y1 * w + x0, (1 - fx) * fy); body(o, y1 * w + x1, fx * fy)
            }
        }
    }

    /// The warped image of planar `x` ([.., C, H, W]).
    public func apply(_ x: Tensor, width w: Int, height h: Int) -> Tensor {
        let out = Tensor(shape: x.shape), plane = w * h, channels = x.count / plane
        taps(width: w, height: h) { o, i, k in
            for c in 0..<channels { out.data[c * plane + o] += k * x.data[c * plane + i] }
        }
        return out
    }

    /// The adjoint: d/dx from d/d(warped image).
    public func adjoint(_ g: Tensor, width w: Int, height h: Int) -> Tensor {
        let out = Tensor(shape: g.shape), plane = w * h, channels = g.count / plane
        taps(width: w, height: h) { o, i, k in
            for c in 0..<channels { out.data[c * plane + i] += k * g.data[c * plane + o] }
        }
        return out
    }
}
