/// How the step size is chosen each iteration (the deep visualization toolbox's `lr_policy`s, plus Adam).
public enum StepRule: Sendable, Hashable, Codable, CustomStringConvertible {
    /// x ← x + η·∇, fixed η.
    case constant(Float)
    /// η = min(maxRate, desired / ‖∇‖²): under a linear model the objective rises by `desired` per step.
    case progress(maxRate: Float, desired: Float)
    /// Adam (Kingma & Ba) on the parameters, ascending; β₁ = 0.9, β₂ = 0.999.
    case adam(Float)
    /// x ← x + η·∇ / mean|∇| (deep dream's step: η pixels on average, whatever the gradient's scale).
    case normalized(Float)

    public var description: String {
        switch self {
        case let .constant(r): return "constant η=\(r)"
        case let .progress(m, d): return "progress Δ=\(d) η≤\(m)"
        case let .adam(r): return "Adam η=\(r)"
        case let .normalized(r): return "normalized η=\(r)"
        }
    }
}

/// What the optimizer updates.
public enum Parameterization: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The pixels themselves (paper scale), started from N(0, startStd²) around the mean image.
    case pixels(startStd: Float)
    /// Lucid-style: scaled cosine (DCT) spectrum of decorrelated colour planes through a sigmoid.
    case spectral

    public var description: String {
        switch self {
        case let .pixels(s): return "pixels (start N(0,\(s)²))"
        case .spectral: return "decorrelated colour + 1/f spectrum + sigmoid"
        }
    }
}

/// Random geometry applied to the image before each forward pass (transformation robustness).
public struct Jitter: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Largest shift in pixels, each axis.
    public var shift: Int
    /// Scale factor range.
    public var scale: ClosedRange<Float>
    /// Largest rotation in degrees, either way.
    public var degrees: Float

    public init(shift: Int, scale: ClosedRange<Float>, degrees: Float) {
        self.shift = shift; self.scale = scale; self.degrees = degrees
    }

    public var description: String { "jitter ±\(shift)px, scale \(scale.lowerBound)–\(scale.upperBound), rotate ±\(degrees)°" }
}

/// A named recipe for gradient ascent: data, not code, so it can be listed, saved and searched over.
public struct Preset: Sendable, Hashable, Codable {
    public var name: String
    public var summary: String
    public var iterations: Int
    public var stepRule: StepRule
    /// Applied in this order after every step (pixel parameterization only).
    public var regularizers: [Regularizer]
    public var parameterization: Parameterization
    public var jitter: Jitter?
    /// Octaves and colour basis of the pixel parameterization (absent: plain pixels, as the paper).
    public var pixelOptions: PixelOptions?

    public init(name: String, summary: String, iterations: Int, stepRule: StepRule, regularizers: [Regularizer],
                parameterization: Parameterization = .pixels(startStd: 10), jitter: Jitter? = nil, pixelOptions: PixelOptions? = nil) {
        self.name = name; self.summary = summary; self.iterations = iterations; self.stepRule = stepRule
        self.regularizers = regularizers; self.parameterization = parameterization; self.jitter = jitter
        self.pixelOptions = pixelOptions
    }

    /// The paper's Table 1 row as its regularizer list: (θ_decay, θ_b_width, θ_b_every, θ_n_pct, θ_c_pct).
    public static func table1(decay: Float, blurWidth: Float, blurEvery: Int, normPct: Float, contributionPct: Float) -> [Regularizer] {
        [.decay(decay), .blur(width: blurWidth, every: blurEvery),
         .clipSmallNorm(percentile: normPct), .clipSmallContribution(percentile: contributionPct)].filter(\.isActive)
    }

    /// Yosinski et al. 2015, Table 1, with the iteration counts and learning-rate policies of the
    /// authors' `optimize_image.py` recipes (doc/running-optimize-image.md in deep-visualization-toolbox).
    /// Rates are in the paper's scale (0–255 minus mean); `PixelSpace` maps them to the model's normalization.
    public static let paper: [Preset] = [
        Preset(name: "paper-1", summary: "Table 1 row 1: blur 0.5 every 4, clip 50% smallest-norm pixels",
               iterations: 500, stepRule: .progress(maxRate: 100, desired: 2),
               regularizers: table1(decay: 0, blurWidth: 0.5, blurEvery: 4, normPct: 50, contributionPct: 0)),
        Preset(name: "paper-2", summary: "Table 1 row 2: strong L2 decay 0.3, clip 20% smallest-norm pixels",
               iterations: 750, stepRule: .constant(100),
               regularizers: table1(decay: 0.3, blurWidth: 0, blurEvery: 0, normPct: 20, contributionPct: 0)),
        Preset(name: "paper-3", summary: "Table 1 row 3: decay 1e-4, blur 1.0 every 4 (most images in the paper)",
               iterations: 1000, stepRule: .constant(100),
               regularizers: table1(decay: 0.0001, blurWidth: 1.0, blurEvery: 4, normPct: 0, contributionPct: 0)),
        Preset(name: "paper-4", summary: "Table 1 row 4: blur 0.5 every 4, clip 90% lowest-contribution pixels",
               iterations: 1000, stepRule: .progress(maxRate: 100_000_000, desired: 2),
               regularizers: table1(decay: 0, blurWidth: 0.5, blurEvery: 4, normPct: 0, contributionPct: 90)),
    ]

    /// In the spirit of Lucid (Olah et al. 2017): decorrelated colour and 1/f spectrum, random
    /// jitter/scale/rotation each step, Adam; no explicit regularizers.
    public static let modern = Preset(
        name: "modern", summary: "Lucid-style: spectral decorrelated parameterization, jitter/scale/rotate, Adam",
        iterations: 512, stepRule: .adam(0.05), regularizers: [], parameterization: .spectral,
        jitter: Jitter(shift: 8, scale: 0.9...1.1, degrees: 5))

    /// Deep dream and caricature: start from a photo, normalized steps of 1.5 pixels, small jitter.
    public static let dream = Preset(name: "dream", summary: "amplify what a layer sees in a photo (Mordvintsev et al. 2015)",
                                     iterations: 40, stepRule: .normalized(1.5), regularizers: [],
                                     jitter: Jitter(shift: 8, scale: 1...1, degrees: 0))

    /// Mahendran & Vedaldi inversion: from noise, Adam in pixels (the priors are in the objective).
    public static let inversion = Preset(name: "invert", summary: "reconstruct an image from a layer's code (Mahendran & Vedaldi 2015)",
                                         iterations: 300, stepRule: .adam(2), regularizers: [],
                                         jitter: Jitter(shift: 2, scale: 1...1, degrees: 0))

    /// Every built-in preset.
    public static let all: [Preset] = paper + [modern]

    /// The built-in preset called `name`.
    public static func named(_ name: String) -> Preset? { all.first { $0.name == name } }

    /// The preset used when none is given (`deepvis optimize`, the live viewer, the unit-image store): the one place to change it.
    public static let defaultName = "paper-3"

    /// One line for `--list-presets`.
    public var listing: String {
        var parts = ["\(iterations) steps", stepRule.description]
        parts += regularizers.map(\.description)
        switch parameterization {
        case .spectral: parts.append(parameterization.description)
        case let .pixels(std) where std != 10: parts.append("start N(0,\(std)²)")   // 10 is the toolbox's default
        case .pixels: break
        }
        if let pixelOptions, pixelOptions.isActive { parts.append(pixelOptions.description) }
        if let jitter { parts.append(jitter.description) }
        return "\(name): \(summary)\n    " + parts.joined(separator: "; ")
    }
}
