import Foundation
import NeuralNetwork
import Tensors

/// An objective's score at one image, each term's unweighted value, and d(score)/dx.
public struct ObjectiveValue: Sendable {
    /// The weighted sum (the score being maximized).
    public var value: Float
    /// Each term's unweighted value, in term order (the first is the "activation" in histories).
    public var termValues: [Float]
    /// d(value)/dx in the paper's pixel scale, [1,3,H,W]. Owned by the evaluator: copy to keep.
    public var gradient: Tensor
}

/// Evaluates an objective with a `Session`: layers are resolved and units checked once, up front.
///
/// Not thread-safe (it owns the session's buffers while evaluating).
public final class ObjectiveEvaluator {
    public let objective: Objective
    public let session: Session
    public let space: PixelSpace
    private let layers: [Int?]   // per term; nil for image-space terms
    private let forwardTarget: Int?
    private let gradient: Tensor
    private let network: Tensor

    /// Resolves the objective's layers (aliases via `info`) and validates units; throws the engine's errors.
    public init(_ objective: Objective, session: Session, space: PixelSpace, info: ModelInfo? = nil) throws {
        self.objective = objective
        self.session = session
        self.space = space
        let graph = session.graph
        var ids: [Int?] = []
        for term in objective.terms {
            guard let ref = term.kind.layer else { ids.append(nil); continue }
            let id: Int
            switch ref {
            case let .named(name): id = try info?.layerID(name, in: graph) ?? graph.id(of: name)
            case .output: id = graph.outputs.first ?? graph.values.count - 1
            }
            try term.kind.validate(shape: graph.values[id].shape, name: graph.values[id].name)
            ids.append(id)
        }
        layers = ids
        let used = Set(ids.compactMap { $0 })
        // One forward pass serves every term when the deepest layer depends on all the others.
        if let deepest = used.max(by: { session.nodeIndices(for: $0).count < session.nodeIndices(for: $1).count }) {
            forwardTarget = used.isSubset(of: graph.ancestors(of: deepest)) ? deepest : nil
        } else {
            forwardTarget = nil
        }
        gradient = Tensor(shape: space.shape)
        network = Tensor(shape: space.shape)
        precondition(session.input.count == network.count, "objective: input \(session.input.shape) is not \(space.shape)")
    }

    /// The score and its pixel-scale gradient at `x` (paper scale, [1,3,H,W]).
    public func evaluate(_ x: Tensor) throws -> ObjectiveValue {
        gradient.fill(0)
        network.fill(0)
        var values: [Float] = []
        let needsNetwork = layers.contains { $0 != nil }
        if needsNetwork {
            space.writeNetworkInput(x, into: session.input)
            session.forward(upTo: forwardTarget)
        }
        var total: Float = 0
        for (term, layer) in zip(objective.terms, layers) {
            let v: Float
            if let layer {
                let a = session.values[layer]
                let (value, seed) = term.kind.valueAndSeed(a)
                let g = try session.backward(from: layer, seed: seed)
                let w = term.weight
                for i in 0..<network.count { network.data[i] += w * g.data[i] }
                v = value
            } else {
                v = term.kind.imagePrior(x, width: space.width, height: space.height, weight: term.weight, into: gradient)
            }
            values.append(v)
            total += term.weight * v
        }
        if needsNetwork {
            space.scaleGradientToPixels(network)
            for i in 0..<gradient.count { gradient.data[i] += network.data[i] }
        }
        return ObjectiveValue(value: total, termValues: values, gradient: gradient)
    }

    /// The activation of `layer` after the last evaluation (for codes: caricature, inversion).
    public static func code(of layer: String, for x: Tensor, session: Session, space: PixelSpace, info: ModelInfo?) throws -> Tensor {
        let id = try info?.layerID(layer, in: session.graph) ?? session.graph.id(of: layer)
        space.writeNetworkInput(x, into: session.input)
        session.forward(upTo: id)
        return session.values[id].copy()
    }
}

extension Objective.Kind {
    var layer: LayerRef? {
        switch self {
        case let .unit(l, _, _, _), let .channelMean(l, _), let .halfSquaredNorm(l), let .dot(l, _), let .codeDistance(l, _): return l
        case .logProbability: return .output
        case .alphaNorm, .totalVariation: return nil
        }
    }

    func validate(shape: [Int], name: String) throws {
        let c = shape.count >= 2 ? shape[1] : shape.elementCount
        switch self {
        case let .unit(_, ch, y, x):
            let (yy, xx) = Self.position(y, x, shape)
            let h = shape.count >= 4 ? shape[2] : 1, w = shape.count >= 4 ? shape[3] : 1
            guard (0..<c).contains(ch), (0..<h).contains(yy), (0..<w).contains(xx) else {
                throw NetworkError.unitOutOfRange(layer: name, shape: shape, unit: shape.count >= 4 ? [ch, yy, xx] : [ch])
            }
        case let .channelMean(_, ch):
            guard (0..<c).contains(ch) else { throw NetworkError.unitOutOfRange(layer: name, shape: shape, unit: [ch]) }
        case let .logProbability(k):
            guard (0..<c).contains(k) else { throw NetworkError.unitOutOfRange(layer: name, shape: shape, unit: [k]) }
        case let .dot(_, t), let .codeDistance(_, t):
            guard t.count == shape.elementCount else {
                throw NetworkError.shapeMismatch(op: "objective", detail: "code \(t.shape) for layer '\(name)' of shape \(shape)")
            }
        case .halfSquaredNorm, .alphaNorm, .totalVariation: break
        }
    }

    /// The centre of a spatial layer when no position is given (the paper's choice; avoids edge effects).
    static func position(_ y: Int?, _ x: Int?, _ shape: [Int]) -> (Int, Int) {
        guard shape.count >= 4 else { return (y ?? 0, x ?? 0) }
        return (y ?? shape[2] / 2, x ?? shape[3] / 2)
    }

    /// The term's value on activation `a` and the backward seed d(value)/da.
    func valueAndSeed(_ a: Tensor) -> (Float, Seed) {
        switch self {
        case let .unit(_, ch, y, x):
            let (yy, xx) = Self.position(y, x, a.shape)
            let h = a.shape.count >= 4 ? a.shape[2] : 1, w = a.shape.count >= 4 ? a.shape[3] : 1
            return (a[(ch * h + yy) * w + xx], .unit(channel: ch, y: yy, x: xx))
        case let .channelMean(_, ch):
            let per = a.count / a.shape[1]
            var s: Float = 0
            for i in 0..<per { s += a[ch * per + i] }
            return (s / Float(per), .channel(ch, mean: true))
        case .halfSquaredNorm:
            let s = a.array.reduce(0) { $0 + $1 * $1 }
            return (s / 2, .tensor(a.copy()))
        case let .dot(_, t):
            var s: Float = 0
            for i in 0..<a.count { s += a[i] * t[i] }
            return (s, .tensor(t))
        case let .codeDistance(_, t):
            let seed = Tensor(shape: a.shape)
            var d: Float = 0, n: Float = 0
            for i in 0..<a.count { let e = a[i] - t[i]; d += e * e; n += t[i] * t[i] }
            let scale = 1 / max(n, 1e-12)
            for i in 0..<a.count { seed[i] = 2 * (a[i] - t[i]) * scale }
            return (d * scale, .tensor(seed))
        case let .logProbability(k):
            let m = a.array.max() ?? 0
            var z: Double = 0
            for i in 0..<a.count { z += Foundation.exp(Double(a[i] - m)) }
            let seed = Tensor(shape: a.shape)
            for i in 0..<a.count { seed[i] = -Float(Foundation.exp(Double(a[i] - m)) / z) }
            seed[k] += 1
            return (a[k] - m - Float(Foundation.log(z)), .tensor(seed))
        case .alphaNorm, .totalVariation:
            preconditionFailure("image-space term has no layer")
        }
    }
}
