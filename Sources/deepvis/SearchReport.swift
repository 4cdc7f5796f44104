import Foundation
import Imaging
import Visualization

/// The second round's results: a Markdown table, an HTML contact sheet and the winners as presets.
struct SearchReport {
    let plan: SearchPlan
    let scores: [SearchScore]
    let judges: [String]

    struct Row {
        var preset: Preset
        var score: Double
        var classes: [SearchScore]
        var units: [SearchScore]
    }

    var rows: [Row] {
        SearchRanking.rank(scores, round: 2).map { r in
            let mine = scores.filter { $0.job.preset.name == r.name }
            var preset = mine[0].job.preset
            preset.iterations = mine[0].job.steps   // a baseline runs at the round's length, not its own
            return Row(preset: preset, score: r.score, classes: mine.filter(\.job.task.isClass),
                       units: mine.filter { !$0.job.task.isClass })
        }
    }

    /// Units where `row` beats the reference preset's same-model jitter score.
    func unitsBeatingReference(_ row: Row) -> (won: Int, of: Int)? {
        guard let ref = plan.baselines.first, let base = rows.first(where: { $0.preset.name == ref }), row.preset.name != ref else { return nil }
        let won = row.units.filter { u in base.units.first { $0.job.task == u.job.task }.map { u.jitterObjective > $0.jitterObjective } ?? false }.count
        return (won, row.units.count)
    }

    private func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

    func markdown() -> String {
        var md = "# Preset search: round 2 (\(plan.classes.count) classes, \(plan.units.count) units, \(plan.secondSteps) steps, "
        md += "\(plan.secondTrials) jittered copies)\n\n"
        md += "Seed \(plan.seed); \(plan.candidates) combinations in round 1 (\(plan.firstSteps) steps on classes \(plan.firstClasses)); "
        md += "judges: \(judges.joined(separator: ", ")). *target* = classes where every judge has the class in its top 5 in ≥ 50 % "
        md += "of copies (as seen and as shown) and the optimized network keeps it top-1 in ≥ 90 %.\n\n"
        let jcols = judges.map { "\($0) top-5 seen / shown" }
        md += "| rank | preset | score | target | same-model top-1 seen / shown | " + jcols.joined(separator: " | ")
        md += " | units > \(plan.baselines.first ?? "—") | settings |\n|" + String(repeating: "---|", count: 7 + judges.count) + "\n"
        for (i, r) in rows.enumerated() {
            let pass = r.classes.filter(\.meetsClassTarget).count
            var cells = ["\(i + 1)", r.preset.name, String(format: "%.3f", r.score), "\(pass)/\(r.classes.count)",
                         String(format: "%.0f%% / %.0f%%", mean(r.classes.map { $0.sameSeen?.top1 ?? 0 }) * 100,
                                mean(r.classes.map { $0.sameShown?.top1 ?? 0 }) * 100)]
            for j in judges.indices {
                cells.append(String(format: "%.0f%% / %.0f%%", mean(r.classes.map { $0.judgeSeen[j].top5 }) * 100,
                                    mean(r.classes.map { $0.judgeShown[j].top5 }) * 100))
            }
            cells.append(unitsBeatingReference(r).map { "\($0.won)/\($0.of)" } ?? "—")
            cells.append(r.preset.listing.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")
            md += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return md
    }

    func html() -> String {
        let tasks = plan.classes.map(SearchTask.classLogit) + plan.units
        var h = "<!doctype html><meta charset=utf-8><title>preset search</title><style>body{font:12px sans-serif;background:#222;color:#ddd}"
        h += "td{vertical-align:top;text-align:center;padding:2px}img{width:112px;height:112px;image-rendering:pixelated}</style>"
        h += "<h1>Preset search, round 2</h1><p>Under each image: same-model top-1 (seen/shown), then each judge's top-5 (seen/shown) over "
        h += "\(plan.secondTrials) jittered copies; for units the same-model jitter objective.</p><table><tr><th>preset</th>"
        h += tasks.map { "<th>\($0)</th>" }.joined() + "</tr>"
        for r in rows {
            h += "<tr><th>\(r.preset.name)<br>\(String(format: "%.3f", r.score))</th>"
            for t in tasks {
                guard let s = (r.classes + r.units).first(where: { $0.job.task == t }) else { h += "<td></td>"; continue }
                let caption: String
                if t.isClass {
                    let j = zip(s.judgeSeen, s.judgeShown).map { String(format: "%.0f/%.0f", $0.top5 * 100, $1.top5 * 100) }.joined(separator: " ")
                    caption = String(format: "%.0f/%.0f · %@", (s.sameSeen?.top1 ?? 0) * 100, (s.sameShown?.top1 ?? 0) * 100, j)
                } else {
                    caption = String(format: "%.3g", Double(s.jitterObjective))
                }
                h += "<td><img src=\"jobs/\(s.job.id).png\" title=\"\(s.job.id)\"><br>\(caption)</td>"
            }
            h += "</tr>"
        }
        return h + "</table>"
    }

    /// The best four sampled presets, renamed tuned-1 … tuned-4 (baselines are not candidates).
    func tuned() -> [Preset] {
        rows.filter { $0.preset.name.hasPrefix("search-") }.prefix(4).enumerated().map { i, r in
            var p = r.preset
            p.name = "tuned-\(i + 1)"
            p.summary = String(format: "issue-13 search rank %d (was %@, seed %llu): pixel space, the paper's regularizers, %@", i + 1,
                               r.preset.name, plan.seed, (r.preset.pixelOptions ?? PixelOptions()).description)
            p.iterations = plan.secondSteps
            return p
        }
    }

    func write(to dir: String) throws {
        try FileBytes.writeAtomically(Array(markdown().utf8), to: dir + "/results.md")
        try FileBytes.writeAtomically(Array(html().utf8), to: dir + "/results.html")
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileBytes.writeAtomically(Array(try enc.encode(tuned())), to: dir + "/tuned-presets.json")
        print(markdown(), terminator: "")
    }
}
