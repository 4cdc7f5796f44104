import NeuralNetwork
import Tensors

/// Which layer an objective term reads: a named value (or manifest alias) or the graph's output.
public enum LayerRef: Sendable, Hashable, CustomStringConvertible {
    case named(String)
    /// The first graph output (the pre-softmax logits of a classifier).
    case output

    public var description: String {
        switch self {
        case let .named(n): return n
        case .output: return "output"
        }
    }
}

/// A score to maximize, as a weighted sum of terms; composes with `+`, `-` and scalar `*`.
///
/// Sign convention: every objective is a score to *maximize*. Things to minimize (a code
/// distance, the image priors of inversion) enter with a negative sign.
public struct Objective: Sendable, CustomStringConvertible {
    /// A short name for the UI and file names.
    public var name: String
    /// The weighted terms whose sum is the score.
    public var terms: [Term]

    /// One weighted term.
    public struct Term: Sendable {
        public var weight: Float
        public var kind: Kind
    }

    /// What a term measures, on a layer's activation `a` or on the image `x` (paper pixel scale).
    public enum Kind: Sendable {
        /// a[c, y, x]; nil position on a spatial layer means its centre, as the paper does.
        case unit(LayerRef, channel: Int, y: Int?, x: Int?)
        /// The mean of channel c over space.
        case channelMean(LayerRef, channel: Int)
        /// ½‖a‖² (deep dream).
        case halfSquaredNorm(LayerRef)
        /// ⟨a, a₀⟩ (caricature: amplify the code a₀ an image already has).
        case dot(LayerRef, target: Tensor)
        /// ‖a − a₀‖² / ‖a₀‖² (Mahendran & Vedaldi's normalized code loss; enters inversion negated).
        case codeDistance(LayerRef, target: Tensor)
        /// log softmax(a)[k] on the output (FGSM's cross-entropy, up to sign).
        case logProbability(Int)
        /// Σ|x|^α / (H·W·B^α): the α-norm prior with pixel range B.
        case alphaNorm(alpha: Float, range: Float)
        /// Σ ((x[y,x+1]−x[y,x])² + (x[y+1,x]−x[y,x])²)^(β/2) / (H·W·V^β): the total-variation prior.
        case totalVariation(beta: Float, range: Float)
    }

    /// A one-term objective.
    public init(name: String, _ kind: Kind, weight: Float = 1) {
        self.name = name
        terms = [Term(weight: weight, kind: kind)]
    }

    public var description: String { name }

    /// Sum of two objectives.
    public static func + (a: Objective, b: Objective) -> Objective {
        var r = a
        r.name = "\(a.name)+\(b.name)"
        r.terms += b.terms
        return r
    }

    /// Scalar weight.
    public static func * (k: Float, a: Objective) -> Objective {
        var r = a
        r.name = k == 1 ? a.name : "\(k)·\(a.name)"
        r.terms = a.terms.map { Term(weight: k * $0.weight, kind: $0.kind) }
        return r
    }

    /// Difference of two objectives.
    public static func - (a: Objective, b: Objective) -> Objective {
        var r = a + (-1 * b)
        r.name = "\(a.name)-\(b.name)"
        return r
    }

    /// Negation: turns a score into a cost and back.
    public static prefix func - (a: Objective) -> Objective { -1 * a }
}

extension Objective {
    /// One unit of a layer; a spatial layer's centre position unless `y`, `x` are given.
    public static func unit(_ layer: String, channel: Int, y: Int? = nil, x: Int? = nil) -> Objective {
        let pos = y.flatMap { y in x.map { ",\(y),\($0)" } } ?? ""
        return Objective(name: "\(layer):\(channel)\(pos)", .unit(.named(layer), channel: channel, y: y, x: x))
    }

    /// The mean of one channel over space.
    public static func channel(_ layer: String, _ channel: Int) -> Objective {
        Objective(name: "\(layer):\(channel)-mean", .channelMean(.named(layer), channel: channel))
    }

    /// Pre-softmax class score k (the graph's output), as the paper optimizes.
    public static func logit(_ k: Int) -> Objective {
        Objective(name: "logit:\(k)", .unit(.output, channel: k, y: 0, x: 0))
    }

    /// Deep dream: ½‖a‖² of a layer.
    public static func deepDream(_ layer: String) -> Objective {
        Objective(name: "dream:\(layer)", .halfSquaredNorm(.named(layer)))
    }

    /// Caricature: ⟨a, a₀⟩ with a₀ the layer's code of an image.
    public static func caricature(_ layer: String, code: Tensor) -> Objective {
        Objective(name: "caricature:\(layer)", .dot(.named(layer), target: code.copy()))
    }

    /// Mahendran & Vedaldi inversion: −‖a−a₀‖²/‖a₀‖² − λα·N_α(x) − λTV·N_TV(x), with their B = 80, V = B/6.5.
    public static func inversion(_ layer: String, code: Tensor, alpha: Float = 6, alphaWeight: Float = 1e-4,
                                 beta: Float = 2, tvWeight: Float = 0.5, range: Float = 80) -> Objective {
        var o = -Objective(name: "code", .codeDistance(.named(layer), target: code.copy()))
            - alphaWeight * Objective(name: "alpha", .alphaNorm(alpha: alpha, range: range))
            - tvWeight * Objective(name: "tv", .totalVariation(beta: beta, range: range / 6.5))
        o.name = "invert:\(layer)"
        return o
    }

    /// log p(k) after softmax of the output: FGSM moves along its sign (toward k) or against it (away).
    public static func logProbability(_ k: Int) -> Objective {
        Objective(name: "logp:\(k)", .logProbability(k))
    }
}

extension Objective {
    /// The objective for channel `channel` of `layer` that `deepvis optimize` and the live viewer share: the class
    /// score when `layer` is the graph's output, else the channel's spatial mean or its unit at (`y`, `x`) (centre by default).
    public static func forUnit(layer: String, channel: Int, channelMean: Bool, y: Int? = nil, x: Int? = nil,
                               graph: Graph, info: ModelInfo) -> Objective {
        let resolved = info.aliases[layer] ?? layer
        if let output = graph.outputs.first, resolved == graph.values[output].name { return .logit(channel) }
        if channelMean { return .channel(layer, channel) }
        return .unit(layer, channel: channel, y: y, x: x)
    }
}
