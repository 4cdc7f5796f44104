import ArgumentParser
import Capture
import Foundation
import Imaging
import Network
import Tensors
import Visualization

struct Optimize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Synthesize the image that makes a unit fire: regularized gradient ascent (Yosinski et al. 2015).",
        discussion: """
        --unit C on a spatial layer optimizes the centre unit of channel C (as the paper does); C,Y,X picks a position;
        --channel-mean the mean of the channel. On the output layer (logits) --unit K is the pre-softmax score of class K.
        Writes NAME.png (best image seen), NAME-history.png, NAME.html (slider over the history) and NAME.json into --out;
        --video gif|mp4 also writes the history as NAME-history.gif/.mp4 (--fps frames per second).
        A rerun with the same arguments that finds NAME.json skips the work.
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Layer name (see `deepvis inspect`); the output layer means class scores.") var layer: String?
    @Option(help: "Unit: C (centre of channel C, or class C on the output) or C,Y,X.") var unit: String?
    @Flag(help: "Maximize the channel's spatial mean instead of one unit.") var channelMean = false
    @Option(help: "Preset: \(Preset.all.map(\.name).joined(separator: ", ")).") var preset: Preset = Preset.named(Preset.defaultName)!
    @Option(help: "Iterations (default: the preset's; 200 per run with --search).") var iterations: Int?
    @Option(help: "Random seed (start image, jitter).") var seed: UInt64 = 0
    @Option(help: "Record the image every K steps.") var historyEvery = 10
    @Option(help: "Random search: run N sampled hyperparameter sets, rank them by the jitter-averaged objective.") var search: Int?
    @Option(help: "Output directory.") var out: String?
    @Option(help: "Grid mode: several channels (or classes), comma-separated; one run per unit and preset.") var units: String?
    @Option(help: "Grid mode: comma-separated presets; writes a contact sheet (rows: units, columns: presets).") var presets: String?
    @Option(help: "Also write the history as an animated gif or an mp4 (H.264 when FFmpeg has it).") var video: VideoFormat?
    @Option(help: "Frames per second of --video.") var fps = 10
    @Flag(help: "List the presets and exit.") var listPresets = false
    @Option(help: .hidden) var benchSteps: Int?

    func validate() throws {
        if listPresets { return }
        if let presets, let bad = presets.split(separator: ",").first(where: { Preset.named(String($0)) == nil }) {
            throw ValidationError("unknown preset '\(bad)'; known: \(Preset.all.map(\.name).joined(separator: ", "))")
        }
        if let units, units.split(separator: ",").contains(where: { Int($0) == nil }) { throw ValidationError("--units: expected C1,C2,...") }
        let unit = unit ?? units?.split(separator: ",").first.map(String.init)
        guard layer != nil, let unit else { throw ValidationError("give --layer L and --unit U (or --units, or --list-presets)") }
        guard let u = UnitAddress(unit) else { throw ValidationError("--unit '\(unit)': expected C or C,Y,X with non-negative integers") }
        if channelMean && u.position != nil { throw ValidationError("--channel-mean takes --unit C without a position") }
        if out == nil && benchSteps == nil { throw ValidationError("give --out DIR") }
        if let iterations, iterations < 1 { throw ValidationError("--iterations must be at least 1") }
        if historyEvery < 0 { throw ValidationError("--history-every must be 0 or more") }
        if let search, search < 1 { throw ValidationError("--search must be at least 1") }
        if video != nil && historyEvery == 0 { throw ValidationError("--video needs a history: give --history-every K > 0") }
        if fps < 1 || fps > 120 { throw ValidationError("--fps must be between 1 and 120") }
    }

    func run() throws {
        if listPresets {
            for p in Preset.all { print(p.listing) }
            return
        }
        let (graph, info, path) = try modelOptions.load()
        let store = benchSteps == nil && search == nil ? storeOptions.open(model: path) : nil
        let session = Session(graph: graph)
        let space = PixelSpace(info)
        let isOutput = (info.aliases[layer!] ?? layer!) == graph.values[graph.outputs[0]].name
        func objective(_ u: UnitAddress) -> Objective {
            .forUnit(layer: layer!, channel: u.channel, channelMean: channelMean, y: u.position?.y, x: u.position?.x,
                     graph: graph, info: info)
        }
        if let units {
            let list = units.split(separator: ",").map { UnitAddress(channel: Int($0)!) }
            let names = (presets ?? preset.name).split(separator: ",").map { Preset.named(String($0))! }
            var cells: [RGBImage] = []
            for u in list {
                let evaluator = try ObjectiveEvaluator(objective(u), session: session, space: space, info: info)
                for p in names { cells.append(try runOne(evaluator, preset: p, info: info, unit: u.channel, isOutput: isOutput, store: store)) }
            }
            let sheet = "\(out!)/sheet-\(layer!)-\(units.replacingOccurrences(of: ",", with: "_")).png"
            try ContactSheet.make(cells, columns: names.count).writePNG(to: sheet)
            print("wrote \(sheet) (rows: units \(units); columns: \(names.map(\.name).joined(separator: ", ")))")
            return
        }
        let u = UnitAddress(unit!)!
        let evaluator = try ObjectiveEvaluator(objective(u), session: session, space: space, info: info)
        if let benchSteps { return try bench(evaluator, steps: benchSteps) }
        if let search { return try runSearch(evaluator, count: search, info: info) }
        _ = try runOne(evaluator, preset: preset, info: info, unit: u.channel, isOutput: isOutput, store: store)
    }

    /// What makes two runs the same (for resume): not the raw command line, so grid and single runs share results.
    private func runKey(_ objective: Objective, _ preset: Preset) -> [String] {
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys   // key order is otherwise not stable between processes
        let p = (try? enc.encode(preset)).map { String(decoding: $0, as: UTF8.self) } ?? preset.name
        let key = [objective.name, p, "\(iterations ?? preset.iterations)", "\(seed)", "\(historyEvery)", (try? modelOptions.modelPath()) ?? ""]
        // Only when asked, so records of runs without a video stay valid for reruns without one.
        return key + (video.map { ["video=\($0.rawValue)@\(fps)"] } ?? [])
    }

    /// One run with resume; returns the best image (read back when the run was already finished).
    @discardableResult
    private func runOne(_ evaluator: ObjectiveEvaluator, preset: Preset, info: ModelInfo, unit: Int, isOutput: Bool,
                        store: (store: UnitImageStore, modelSHA256: String)?) throws -> RGBImage {
        let classIndex = isOutput ? unit : nil
        let name = RunFiles.name(objective: evaluator.objective.name, preset: preset.name, seed: seed)
        let arguments = runKey(evaluator.objective, preset)
        if let done = RunFiles.finished(out!, name: name, arguments: arguments) {
            print("\(out!)/\(name).png is already finished (best objective \(done.bestObjective)); skipping")
            return try ImageCodec.read(path: "\(out!)/\(name).png")
        }
        let ascent = GradientAscent(evaluator: evaluator, preset: preset, iterations: iterations, seed: seed, historyEvery: historyEvery)
        let progress = ProgressReporter(label: name)
        var curve: [Float] = []
        ascent.onProgress = {
            curve.append($0.objective)
            progress.report($0)
        }
        let result = try ascent.run()
        let robust = try Robustness.meanObjective(result.bestTensor, evaluator: evaluator)
        let top1 = classIndex.map { Robustness.top1Rate(result.bestTensor, classIndex: $0, session: evaluator.session, space: evaluator.space) }
        var details = ["objective \(evaluator.objective.name), preset \(preset.name), seed \(seed)",
                       preset.listing, String(format: "best %.4g at step %d; mean over 16 jitters %.4g; %@",
                                              Double(result.bestObjective), result.bestStep, Double(robust), result.stop.description)]
        if let classIndex, let top1 {
            details.append(String(format: "class %d (%@) top-1 in %.0f%% of 50 jittered copies", classIndex, info.label(classIndex), top1 * 100))
        }
        var files = try RunFiles.writeImages(result, dir: out!, name: name, title: "\(evaluator.objective.name) — \(preset.name)", details: details)
        if let video, !result.history.isEmpty {
            let file = "\(name)-history.\(video.rawValue)"
            let encoder = try VideoWriter.write(result.history.map(\.image), to: "\(out!)/\(file)", format: video, framesPerSecond: fps)
            details.append("history video: \(result.history.count) frames at \(fps) fps, encoder \(encoder)")
            files.append(file)
        }
        try RunFiles.writeRecord(RunRecord(arguments: arguments, preset: preset, objective: evaluator.objective.name,
                                           bestObjective: result.bestObjective, bestStep: result.bestStep, stop: result.stop.description,
                                           robustScore: robust, top1UnderJitter: top1, files: files), dir: out!, name: name)
        details.forEach { print($0) }
        print("wrote \(files.map { "\(out!)/\($0)" }.joined(separator: ", "))")
        if case .diverged = result.stop { throw ExitCode(2) }
        if let store {
            let key = UnitImageKey(modelSHA256: store.modelSHA256, layer: layer!, unit: unit, objective: evaluator.objective.name,
                                   preset: preset.name, iterations: ascent.iterations, seed: seed,
                                   inputWidth: info.inputWidth, inputHeight: info.inputHeight)
            do {
                try store.store.save(key, preset: preset, best: result.best, seen: result.bestAsSeen, history: result.history,
                                     curve: curve, bestObjective: result.bestObjective, bestStep: result.bestStep)
            } catch {
                warn("could not write the unit-image store: \(error)")
            }
        }
        return result.best
    }

    private func runSearch(_ evaluator: ObjectiveEvaluator, count: Int, info: ModelInfo) throws {
        var rng = SeededGenerator(seed: seed)
        var rows: [(preset: Preset, best: Float, robust: Float, image: RGBImage)] = []
        let steps = iterations ?? 200
        for i in 0..<count {
            let p = RandomSearch.sample(index: i, iterations: steps, using: &rng)
            let ascent = GradientAscent(evaluator: evaluator, preset: p, seed: seed &+ UInt64(i))
            let result = try ascent.run()
            let robust = result.bestObjective.isFinite ? try Robustness.meanObjective(result.bestTensor, evaluator: evaluator) : -.infinity
            rows.append((p, result.bestObjective, robust, result.best))
            print(String(format: "search %d/%d  best %.4g  jitter-mean %.4g  %@", i + 1, count, Double(result.bestObjective),
                         Double(robust), p.listing.split(separator: "\n").last.map(String.init) ?? ""))
        }
        rows.sort { $0.robust > $1.robust }
        try FileManager.default.createDirectory(atPath: out!, withIntermediateDirectories: true)
        var table = "| rank | jitter-mean objective | best objective | step rule | regularizers |\n|---|---|---|---|---|\n"
        for (r, row) in rows.enumerated() {
            table += String(format: "| %d | %.4g | %.4g | %@ | %@ |\n", r + 1, Double(row.robust), Double(row.best),
                            row.preset.stepRule.description, row.preset.regularizers.map(\.description).joined(separator: ", "))
        }
        let base = "\(out!)/search-\(evaluator.objective.name.replacingOccurrences(of: ":", with: "-"))"
        try FileBytes.writeAtomically(Array(table.utf8), to: base + ".md")
        try ContactSheet.make(rows.prefix(9).map(\.image), columns: 3).writePNG(to: base + ".png")
        print(table, terminator: "")
        print("wrote \(base).md and \(base).png (best 9, ranked left to right)")
    }

    private func bench(_ evaluator: ObjectiveEvaluator, steps: Int) throws {
        let ascent = GradientAscent(evaluator: evaluator, preset: preset, iterations: 3, seed: seed)
        _ = try ascent.run()   // warm-up: first-touch of buffers
        ascent.iterations = steps
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = try ascent.run()
        let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        print(String(format: "{\"impl\":\"deepvis\",\"threads\":%d,\"steps\":%d,\"seconds\":%.3f,\"steps_per_s\":%.3f,\"best\":%.4f}",
                     modelOptions.threads, steps, s, Double(steps) / s, Double(r.bestObjective)))
    }
}
