import Foundation
import Imaging
import NeuralNetwork
import Tensors

/// A network that classifies whole images: the optimized network itself, or a different one acting as judge.
public final class Classifier {
    public let name: String
    public let session: Session
    public let info: ModelInfo

    /// Wraps a graph and its manifest; `name` labels the scores (the manifest's name by default).
    public init(graph: Graph, info: ModelInfo, name: String? = nil) {
        session = Session(graph: graph)
        self.info = info
        self.name = name ?? info.name
    }

    /// The logits for `image`, resized as a whole to the network's input size (a synthesized image
    /// fills its frame, so it is not cropped the way a photo is).
    public func logits(_ image: RGBImage) -> [Float] {
        let view = image.width == info.inputWidth && image.height == info.inputHeight
            ? image : image.fitted(width: info.inputWidth, height: info.inputHeight, mode: .stretch)
        info.fill(session.input, from: view)
        let out = session.graph.outputs.first ?? session.graph.values.count - 1
        session.forward(upTo: out)
        return session.values[out].array
    }
}

/// How often a classifier finds class k in jittered copies of an image.
public struct JitterRates: Sendable, Codable, Equatable {
    /// Fraction of copies whose top-1 class is k.
    public var top1: Double
    /// Fraction of copies with k among the five most probable classes.
    public var top5: Double
    /// Mean softmax probability of k (a tie-breaker when rates are equal).
    public var probability: Double

    public init(top1: Double, top5: Double, probability: Double) { self.top1 = top1; self.top5 = top5; self.probability = probability }
}

/// Scores an optimized image by classifying shifted, rescaled and rotated copies of it.
///
/// A judge must be a *different* network: the optimized network's own score is what the ascent
/// maximized, so it also rewards patterns only that network reads (adversarial structure). Another
/// network trained on the same classes agrees only when the image carries structure that transfers.
public enum Verdict {
    /// `trials` randomly warped copies of `image` (same draws for a given seed, so every judge sees the same copies).
    public static func jitteredCopies(_ image: RGBImage, space: PixelSpace, trials: Int,
                                      jitter: Jitter = Robustness.testJitter, seed: UInt64 = 12345) -> [RGBImage] {
        var rng = SeededGenerator(seed: seed)
        let x = space.tensor(image)
        return (0..<trials).map { _ in
            space.image(AffineWarp.random(jitter, using: &rng).apply(x, width: space.width, height: space.height))
        }
    }

    /// The rates at which `classifier` puts class `k` first / in its top five over `copies`.
    public static func rates(_ copies: [RGBImage], classIndex k: Int, classifier: Classifier) -> JitterRates {
        guard !copies.isEmpty else { return JitterRates(top1: 0, top5: 0, probability: 0) }
        var top1 = 0, top5 = 0
        var probability = 0.0
        for image in copies {
            let logits = classifier.logits(image)
            let target = logits[k]
            // Rank of k: how many classes score strictly higher.
            let above = logits.reduce(0) { $0 + ($1 > target ? 1 : 0) }
            if above == 0 { top1 += 1 }
            if above < 5 { top5 += 1 }
            let m = logits.max() ?? 0
            let sum = logits.reduce(0.0) { $0 + exp(Double($1 - m)) }
            probability += exp(Double(target - m)) / sum
        }
        let n = Double(copies.count)
        return JitterRates(top1: Double(top1) / n, top5: Double(top5) / n, probability: probability / n)
    }
}
