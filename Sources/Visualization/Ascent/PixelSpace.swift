import Foundation
import Imaging
import NeuralNetwork
import Tensors

/// The paper's image scale: 0…255 pixels minus the model's mean, planar [1,3,H,W].
///
/// The optimizer, the regularizers and the presets' learning rates all live in this space, as in
/// the authors' toolbox (Caffe models took mean-subtracted 0…255 input). The network sees
/// `x / std`, so a gradient d/d(network input) becomes d/dx by dividing by std.
public struct PixelSpace: Sendable {
    public let width: Int
    public let height: Int
    /// Per-channel mean and std on the 0…255 scale (from `ModelInfo`).
    public let mean: [Float]
    public let std: [Float]

    /// The pixel space of a model's input.
    public init(_ info: ModelInfo) {
        self.init(width: info.inputWidth, height: info.inputHeight, mean: info.mean, std: info.std)
    }

    /// A pixel space with explicit size and normalization.
    public init(width: Int, height: Int, mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3, "PixelSpace needs three means and stds")
        self.width = width; self.height = height; self.mean = mean; self.std = std
    }

    /// The tensor shape [1, 3, H, W].
    public var shape: [Int] { [1, 3, height, width] }
    var plane: Int { width * height }

    /// Writes `x / std` into the network's input buffer.
    public func writeNetworkInput(_ x: Tensor, into input: Tensor) {
        precondition(x.count == input.count, "PixelSpace: image \(x.shape) for input \(input.shape)")
        for c in 0..<3 {
            let s = 1 / std[c], o = c * plane
            for i in o..<(o + plane) { input.data[i] = x.data[i] * s }
        }
    }

    /// Turns d/d(network input) into d/dx in place.
    public func scaleGradientToPixels(_ g: Tensor) {
        for c in 0..<3 {
            let s = 1 / std[c], o = c * plane
            for i in o..<(o + plane) { g.data[i] *= s }
        }
    }

    /// Clamps x so that x + mean stays within 0…255 (the toolbox's first step of every iteration).
    public func clampToValidPixels(_ x: Tensor) {
        for c in 0..<3 {
            let lo = -mean[c], hi = 255 - mean[c], o = c * plane
            for i in o..<(o + plane) { x.data[i] = min(max(x.data[i], lo), hi) }
        }
    }

    /// The picture of x: x + mean, rounded and clamped to bytes.
    public func image(_ x: Tensor) -> RGBImage {
        RGBImage(planarFloat: x.array, width: width, height: height, mean: mean, std: [1, 1, 1])
    }

    /// x for display as the paper shows it (the toolbox's `norm01c`): 0 is mid-gray and the largest
    /// |x| reaches black or white, same scale for all channels. Regularized images are faint otherwise.
    public func stretchedImage(_ x: Tensor) -> RGBImage {
        let peak = x.buffer.reduce(Float(0)) { max($0, $1.isFinite ? abs($1) : 0) }
        let k = peak > 0 ? 127.5 / peak : 0
        return RGBImage(planarFloat: x.array.map { $0 * k }, width: width, height: height,
                        mean: [127.5, 127.5, 127.5], std: [1, 1, 1])
    }

    /// Below this RMS distance from the mean image (0–255 levels) an image counts as faint.
    public static let faintRMS: Float = 12

    /// Whether x is within a few gray levels of the mean image (the paper presets' typical result).
    public func isFaint(_ x: Tensor) -> Bool {
        let sum = x.buffer.reduce(Float(0)) { $0 + ($1.isFinite ? $1 * $1 : 0) }
        return (sum / Float(max(x.count, 1))).squareRoot() < Self.faintRMS
    }

    /// The picture to show: what the network saw, contrast-stretched only where that is faint (a stretch
    /// changes what a classifier reads, so an image that already has contrast is shown as it was seen).
    public func displayImage(_ x: Tensor) -> RGBImage {
        isFaint(x) ? stretchedImage(x) : image(x)
    }

    /// The x of a picture at the network's size: pixel − mean.
    public func tensor(_ image: RGBImage) -> Tensor {
        precondition(image.width == width && image.height == height, "PixelSpace: \(image.width)x\(image.height) is not \(width)x\(height)")
        return Tensor(shape: shape, values: image.planarFloat(mean: mean, std: [1, 1, 1]))
    }
}
