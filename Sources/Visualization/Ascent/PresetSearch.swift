import Foundation
import Tensors

/// One thing the search optimizes: a class (scored by judges) or a hidden unit (scored by the
/// same-model jitter score, since no other network has that unit).
public enum SearchTask: Sendable, Equatable, Codable, CustomStringConvertible {
    case classLogit(Int)
    /// The centre unit of `channel` in `layer` (as the paper does).
    case unit(layer: String, channel: Int)

    /// The objective this task maximizes.
    public var objective: Objective {
        switch self {
        case let .classLogit(k): return .logit(k)
        case let .unit(layer, c): return .unit(layer, channel: c, y: nil, x: nil)
        }
    }

    /// A file-name-safe identifier.
    public var description: String {
        switch self {
        case let .classLogit(k): return "class\(k)"
        case let .unit(layer, c): return "\(layer)-\(c)"
        }
    }
}

/// Everything that decides a search's content; stored as `search.json`, identical for every shard,
/// so shards of one search agree and a rerun with other settings is refused rather than mixed in.
public struct SearchPlan: Sendable, Equatable, Codable {
    public var seed: UInt64
    /// Sampled combinations in the cheap first round.
    public var candidates: Int
    public var firstSteps: Int
    /// Classes of the first round (a subset of `classes`).
    public var firstClasses: [Int]
    public var firstTrials: Int
    /// Steps of the full-length second round (the shipped presets' step count).
    public var secondSteps: Int
    public var classes: [Int]
    public var units: [SearchTask]
    public var secondTrials: Int
    /// Fraction of the first round that goes on (at least four: the search ships tuned-1 … tuned-4).
    public var keep: Double
    /// Built-in presets run in the second round beside the survivors (the reference), by name.
    public var baselines: [String]
    public var model: String
    public var judges: [String]

    /// The paper-scale defaults of issue 13: 12 classes spread over ImageNet, 2 channels at each of 3 depths.
    public static func standard(candidates: Int, seed: UInt64, model: String, judges: [String]) -> SearchPlan {
        SearchPlan(seed: seed, candidates: candidates, firstSteps: 100, firstClasses: [292, 779], firstTrials: 10,
                   secondSteps: 512, classes: standardClasses,
                   units: [.unit(layer: "blocks.3", channel: 5), .unit(layer: "blocks.3", channel: 20),
                           .unit(layer: "blocks.8", channel: 10), .unit(layer: "blocks.8", channel: 50),
                           .unit(layer: "blocks.14", channel: 30), .unit(layer: "blocks.14", channel: 100)],
                   secondTrials: 20, keep: 0.1, baselines: ["paper-3"], model: model, judges: judges)
    }

    /// ostrich, bald eagle, king penguin, tiger, zebra, African elephant, convertible, golf ball,
    /// school bus, teddy bear, banana, volcano: animals, machines, objects, food and a landscape.
    public static let standardClasses = [9, 22, 145, 292, 340, 386, 511, 574, 779, 850, 954, 980]

    /// The sampled combinations, the same for a given seed on every machine.
    public func sampled() -> [Preset] {
        var rng = SeededGenerator(seed: seed)
        return (0..<candidates).map { RandomSearch.sample(index: $0, iterations: secondSteps, using: &rng) }
    }

    /// How many first-round combinations go on to the second round.
    public var survivors: Int { min(candidates, max(4, Int((Double(candidates) * keep).rounded(.up)))) }

    /// The first round: every combination on `firstClasses` at `firstSteps`.
    public func firstRound() -> [SearchJob] {
        sampled().flatMap { p in firstClasses.map { SearchJob(round: 1, preset: p, task: .classLogit($0), steps: firstSteps) } }
    }

    /// The second round: the survivors (ranked first-round names) and the baselines on every task at `secondSteps`.
    public func secondRound(ranked names: [String]) -> [SearchJob] {
        let all = sampled()
        let chosen = names.prefix(survivors).compactMap { n in all.first { $0.name == n } } + baselines.compactMap(Preset.named)
        let tasks = classes.map(SearchTask.classLogit) + units
        return chosen.flatMap { p in
            tasks.map { t in SearchJob(round: 2, preset: p, task: t, steps: p.name.hasPrefix("search-") ? secondSteps : min(p.iterations, secondSteps)) }
        }
    }
}

/// One run of the search: a preset on a task for a number of steps.
public struct SearchJob: Sendable, Equatable, Codable {
    public var round: Int
    public var preset: Preset
    public var task: SearchTask
    public var steps: Int

    /// The file stem of its results.
    public var id: String { "r\(round)-\(preset.name)-\(task)" }
}

/// What a finished job measured.
public struct SearchScore: Sendable, Equatable, Codable {
    public var job: SearchJob
    public var bestObjective: Float
    /// The objective averaged over jittered copies (the same-model jitter score; the unit tasks' score).
    public var jitterObjective: Float
    /// Same-model rates (class tasks): as seen, as shown.
    public var sameSeen: JitterRates?
    public var sameShown: JitterRates?
    /// Per judge (in plan order): as seen, as shown.
    public var judgeSeen: [JitterRates]
    public var judgeShown: [JitterRates]
    /// Whether the shown image is contrast-stretched (the seen image was faint).
    public var stretched: Bool
    public var seconds: Double

    /// A score with no verdicts yet (unit tasks keep it that way).
    public init(job: SearchJob, bestObjective: Float, jitterObjective: Float, stretched: Bool) {
        self.job = job; self.bestObjective = bestObjective; self.jitterObjective = jitterObjective
        judgeSeen = []; judgeShown = []; self.stretched = stretched; seconds = 0
    }

    /// A class task's score in 0…~1.1: the mean of the judges' top-5 rates (seen and shown) and the
    /// same-model top-1 rates, plus a tenth of the judges' mean probability to break ties.
    public var classScore: Double {
        let judged = (judgeSeen + judgeShown)
        let j = judged.isEmpty ? 0 : judged.map(\.top5).reduce(0, +) / Double(judged.count)
        let p = judged.isEmpty ? 0 : judged.map(\.probability).reduce(0, +) / Double(judged.count)
        let s = ((sameSeen?.top1 ?? 0) + (sameShown?.top1 ?? 0)) / 2
        return (j + s) / 2 + 0.1 * p
    }

    /// Issue 13's bar for a class: every judge has it in its top 5 in ≥ 50 % of copies (seen and shown)
    /// and the optimized network keeps it top-1 in ≥ 90 % (seen and shown).
    public var meetsClassTarget: Bool {
        guard let a = sameSeen, let b = sameShown, !judgeSeen.isEmpty else { return false }
        return (judgeSeen + judgeShown).allSatisfy { $0.top5 >= 0.5 } && a.top1 >= 0.9 && b.top1 >= 0.9
    }
}

/// Ranking of combinations from their scores.
public enum SearchRanking {
    /// Preset names by mean class score over their class tasks of `round`, best first (ties: by name, so it is deterministic).
    public static func rank(_ scores: [SearchScore], round: Int) -> [(name: String, score: Double)] {
        var byName: [String: [Double]] = [:]
        for s in scores where s.job.round == round {
            if case .classLogit = s.job.task { byName[s.job.preset.name, default: []].append(s.classScore) }
        }
        var out: [(name: String, score: Double)] = []
        for (name, values) in byName {
            let mean: Double = values.reduce(0, +) / Double(values.count)
            out.append((name: name, score: mean))
        }
        out.sort { a, b in a.score != b.score ? a.score > b.score : a.name < b.name }
        return out
    }
}

/// Random sampling of the paper's hyperparameters (they tried 300 combinations) plus the step rule and start image.
public enum RandomSearch {
    /// A random pixel-space preset: the four regularizers (each sometimes off), a step rule, the start noise, octaves and colour basis.
    public static func sample(index: Int, iterations: Int, using rng: inout SeededGenerator) -> Preset {
        func logUniform(_ a: Float, _ b: Float) -> Float { a * pow(b / a, Float.random(in: 0...1, using: &rng)) }
        let decay: Float = Bool.random(using: &rng) ? 0 : logUniform(1e-4, 0.1)
        let blurOn = Float.random(in: 0...1, using: &rng) < 0.8
        let width: Float = blurOn ? Float.random(in: 0.3...2.0, using: &rng) : 0
        let every = blurOn ? Int.random(in: 1...8, using: &rng) : 0
        let normPct: Float = Bool.random(using: &rng) ? 0 : Float.random(in: 0...50, using: &rng)
        let contribPct: Float = Bool.random(using: &rng) ? 0 : Float.random(in: 0...80, using: &rng)
        let rule: StepRule
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: rule = .constant(logUniform(10, 1000))
        case 1: rule = .progress(maxRate: 1e8, desired: logUniform(0.5, 8))
        case 2: rule = .normalized(logUniform(0.25, 4))
        default: rule = .adam(logUniform(0.25, 4))
        }
        let startStd: Float = [0, 10, 30, 60][Int.random(in: 0..<4, using: &rng)]
        let options = PixelOptions(octaves: Int.random(in: 1...4, using: &rng), decorrelatedColour: Bool.random(using: &rng))
        let regs = Preset.table1(decay: decay, blurWidth: width, blurEvery: every, normPct: normPct, contributionPct: contribPct)
        return Preset(name: "search-\(index)", summary: "random search sample \(index)", iterations: iterations,
                      stepRule: rule, regularizers: regs, parameterization: .pixels(startStd: startStd),
                      pixelOptions: options.isActive ? options : nil)
    }
}
