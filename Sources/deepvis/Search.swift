import Foundation
import Imaging
import NeuralNetwork
import Tensors
import Visualization

/// Issue 13's preset search as a resumable, shardable batch job: successive halving over sampled
/// pixel-space presets (cheap round on two classes, then the best on every class and unit at full length).
final class PresetSearchRun {
    let plan: SearchPlan
    let out: String
    let shard: Shard
    let session: Session
    let info: ModelInfo
    let space: PixelSpace
    let same: Classifier
    let judges: [Classifier]
    var jobsDir: String { out + "/jobs" }

    init(plan: SearchPlan, out: String, shard: Shard, graph: Graph, info: ModelInfo, judges: [Classifier]) {
        self.plan = plan; self.out = out; self.shard = shard; self.info = info; self.judges = judges
        session = Session(graph: graph)
        space = PixelSpace(info)
        same = Classifier(graph: graph, info: info)
    }

    /// Runs this shard's share of whichever rounds can run now; writes the reports when everything is done.
    func run() throws {
        try FileManager.default.createDirectory(atPath: jobsDir, withIntermediateDirectories: true)
        try checkPlan()
        let start = Date()
        let first = plan.firstRound()
        try runShare(of: first, trials: plan.firstTrials, judges: Array(judges.prefix(1)), label: "round 1")
        let firstScores = first.compactMap(finished)
        guard firstScores.count == first.count else {
            print("round 1: \(firstScores.count) of \(first.count) jobs finished; rerun when the other shards are done")
            return
        }
        let ranked = SearchRanking.rank(firstScores, round: 1)
        try writeRanking(ranked, scores: firstScores)
        let second = plan.secondRound(ranked: ranked.map(\.name))
        try runShare(of: second, trials: plan.secondTrials, judges: judges, label: "round 2")
        let secondScores = second.compactMap(finished)
        guard secondScores.count == second.count else {
            print("round 2: \(secondScores.count) of \(second.count) jobs finished; rerun when the other shards are done")
            return
        }
        try SearchReport(plan: plan, scores: secondScores, judges: judges.map(\.name)).write(to: out)
        print(String(format: "search done (this process %.0f s); wrote %@/results.md, results.html, tuned-presets.json",
                     Date().timeIntervalSince(start), out))
    }

    /// Refuses to mix results of different plans in one directory.
    private func checkPlan() throws {
        let path = out + "/search.json"
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = FileManager.default.contents(atPath: path) {
            guard let old = try? JSONDecoder().decode(SearchPlan.self, from: data), old == plan else {
                throw SearchDirectoryError(description: "\(path) holds a search with other settings; use another --out")
            }
            return
        }
        try FileBytes.writeAtomically(Array(try enc.encode(plan)), to: path)
    }

    func finished(_ job: SearchJob) -> SearchScore? {
        guard let data = FileManager.default.contents(atPath: "\(jobsDir)/\(job.id).json"),
              let s = try? JSONDecoder().decode(SearchScore.self, from: data), s.job == job else { return nil }
        return s
    }

    private func runShare(of jobs: [SearchJob], trials: Int, judges: [Classifier], label: String) throws {
        let mine = shard.select(jobs)
        let todo = mine.filter { finished($0) == nil }
        print("\(label): shard \(shard) has \(mine.count) of \(jobs.count) jobs, \(todo.count) to run")
        let bar = ProgressReporter(label: label)
        for (i, job) in todo.enumerated() {
            let s = try execute(job, trials: trials, judges: judges)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try FileBytes.writeAtomically(Array(try enc.encode(s)), to: "\(jobsDir)/\(job.id).json")
            // The bar counts jobs; its "objective" is this job's score (class score, or the unit's jitter objective).
            let value = Float(s.job.task.isClass ? s.classScore : Double(s.jitterObjective))
            bar.report(AscentProgress(step: i, iterations: todo.count, objective: value, bestObjective: value))
            print("  \(job.id): \(s.summary)")
        }
    }

    /// One job: the ascent, then the jitter scores of its best image.
    func execute(_ job: SearchJob, trials: Int, judges: [Classifier]) throws -> SearchScore {
        let t0 = Date()
        let ev = try ObjectiveEvaluator(job.task.objective, session: session, space: space, info: info)
        let ascent = GradientAscent(evaluator: ev, preset: job.preset, iterations: job.steps, seed: plan.seed)
        let r = try ascent.run()
        let jitter = r.bestObjective.isFinite ? try Robustness.meanObjective(r.bestTensor, evaluator: ev, trials: trials) : -.infinity
        let stretched = r.best != r.bestAsSeen
        var score = SearchScore(job: job, bestObjective: r.bestObjective, jitterObjective: jitter, stretched: stretched)
        if case let .classLogit(k) = job.task {
            let seen = Verdict.jitteredCopies(r.bestAsSeen, space: space, trials: trials)
            let shown = stretched ? Verdict.jitteredCopies(r.best, space: space, trials: trials) : seen
            score.sameSeen = Verdict.rates(seen, classIndex: k, classifier: same)
            score.sameShown = stretched ? Verdict.rates(shown, classIndex: k, classifier: same) : score.sameSeen
            for j in judges {
                let a = Verdict.rates(seen, classIndex: k, classifier: j)
                score.judgeSeen.append(a)
                score.judgeShown.append(stretched ? Verdict.rates(shown, classIndex: k, classifier: j) : a)
            }
        }
        try r.best.writePNG(to: "\(jobsDir)/\(job.id).png")
        try r.bestAsSeen.writePNG(to: "\(jobsDir)/\(job.id)-seen.png")
        score.seconds = Date().timeIntervalSince(t0)
        return score
    }

    private func writeRanking(_ ranked: [(name: String, score: Double)], scores: [SearchScore]) throws {
        let presets = Dictionary(plan.sampled().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var md = "# Round 1: \(plan.candidates) combinations × classes \(plan.firstClasses) × \(plan.firstSteps) steps\n\n"
        md += "Score: mean of the judge's top-5 rate (seen, shown) and the same-model top-1 rate over \(plan.firstTrials) jittered copies, "
        md += "averaged, plus 0.1 × the judge's mean probability.\n\n| rank | preset | score | settings |\n|---|---|---|---|\n"
        for (i, r) in ranked.enumerated() {
            let settings = presets[r.name]?.listing.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            md += String(format: "| %d%@ | %@ | %.3f | %@ |\n", i + 1, i < plan.survivors ? " ✓" : "", r.name, r.score, settings)
        }
        try FileBytes.writeAtomically(Array(md.utf8), to: out + "/round1.md")
    }
}

/// An output directory that belongs to another search.
struct SearchDirectoryError: Error, CustomStringConvertible {
    let description: String
}

extension SearchTask {
    var isClass: Bool { if case .classLogit = self { return true } else { return false } }
}

extension SearchScore {
    /// One line for the log.
    var summary: String {
        guard job.task.isClass else { return String(format: "jitter objective %.4g (best %.4g), %.0f s", Double(jitterObjective), Double(bestObjective), seconds) }
        let j = zip(judgeSeen, judgeShown).map { String(format: "%.0f/%.0f%%", $0.top5 * 100, $1.top5 * 100) }.joined(separator: " ")
        return String(format: "same top-1 %.0f/%.0f%%, judges top-5 seen/shown %@, score %.3f%@, %.0f s",
                      (sameSeen?.top1 ?? 0) * 100, (sameShown?.top1 ?? 0) * 100, j, classScore, stretched ? " (shown stretched)" : "", seconds)
    }
}
