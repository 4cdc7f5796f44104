import ArgumentParser
import Capture
import Foundation
import Imaging
import NeuralNetwork
import ONNXImport
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
        The default preset is the model's best (`default_preset` in its manifest). --judge M.onnx (repeatable) also scores
        a class image by how often a different network puts the class in its top 1 / top 5 over 20 jittered copies.
        --search N runs the preset search (issue 13) on a fixed set of classes and units: N sampled combinations for
        --search-steps on two classes, then the best tenth and the baselines on every task for --iterations steps;
        resumable, and sharded like `atlas` (--shard i/n, else SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX).
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Layer name (see `deepvis inspect`); the output layer means class scores.") var layer: String?
    @Option(help: "Unit: C (centre of channel C, or class C on the output) or C,Y,X.") var unit: String?
    @Flag(help: "Maximize the channel's spatial mean instead of one unit.") var channelMean = false
    @Option(help: "Preset (default: the model's best; see --list-presets).") var preset: String?
    @Option(help: "Iterations, \(OptionRanges.text(OptionRanges.iterations)) (default: the preset's; 200 per run with --search).")
    var iterations: Int?
    @Option(help: "Random seed (start image, jitter).") var seed: UInt64 = 0
    @Option(help: "Record the image every K steps (\(OptionRanges.text(OptionRanges.historyEvery)); 0: no history).") var historyEvery = 10
    @Option(help: "Preset search: N (\(OptionRanges.text(OptionRanges.search))) sampled combinations (Docs/VISUALIZATION.md).") var search: Int?
    @Option(help: "Preset search: steps of the cheap first round.") var searchSteps = 100
    @Option(help: "Preset search: the first K of the 12 standard classes in round 2.") var searchClasses = 12
    @Option(help: "Preset search: jittered copies per score in round 1.") var searchTrials = 10
    @Option(help: "A different network that judges class images (repeatable).") var judge: [String] = []
    @Option(help: "This process's shard of --search, i/n with 0 ≤ i < n.") var shard: String?
    @Option(help: "Shard count for JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs).") var shards: Int?
    @Option(help: "Output directory.") var out: String?
    @Option(help: "Grid mode: several channels (or classes), comma-separated; one run per unit and preset.") var units: String?
    @Option(help: "Grid mode: comma-separated presets; writes a contact sheet (rows: units, columns: presets).") var presets: String?
    @Option(help: "Also write the history as an animated gif or an mp4 (H.264 when FFmpeg has it).") var video: VideoFormat?
    @Option(help: "Frames per second of --video (\(OptionRanges.text(OptionRanges.fps))).") var fps = 10
    @Flag(help: "List the presets and exit.") var listPresets = false
    @Option(help: .hidden) var benchSteps: Int?

    func validate() throws {
        if listPresets { return }
        if let search {
            try OptionRanges.check(search, OptionRanges.search, "--search")
            if out == nil { throw ValidationError("give --out DIR") }
            if searchSteps < 1 || searchTrials < 1 { throw ValidationError("--search-steps and --search-trials must be at least 1") }
            if !(2...SearchPlan.standardClasses.count).contains(searchClasses) {
                throw ValidationError("--search-classes must be between 2 and \(SearchPlan.standardClasses.count)")
            }
            if let shard { _ = try Shard(parsing: shard) }
            if let iterations { try OptionRanges.check(iterations, OptionRanges.iterations, "--iterations") }
            return
        }
        if let units, units.split(separator: ",", omittingEmptySubsequences: false)
            .contains(where: { Int($0).map { !OptionRanges.unit.contains($0) } ?? true }) {
            throw ValidationError("--units '\(units)': expected C1,C2,... with channels \(OptionRanges.text(OptionRanges.unit))")
        }
        let unit = unit ?? units?.split(separator: ",").first.map(String.init)
        guard layer != nil, let unit else { throw ValidationError("give --layer L and --unit U (or --units, or --list-presets)") }
        guard let u = UnitAddress(unit) else { throw ValidationError("--unit '\(unit)': expected C or C,Y,X with non-negative integers") }
        if channelMean && u.position != nil { throw ValidationError("--channel-mean takes --unit C without a position") }
        if out == nil && benchSteps == nil { throw ValidationError("give --out DIR") }
        if let iterations { try OptionRanges.check(iterations, OptionRanges.iterations, "--iterations") }
        try OptionRanges.check(historyEvery, OptionRanges.historyEvery, "--history-every")
        if video != nil && historyEvery == 0 { throw ValidationError("--video needs a history: give --history-every K > 0") }
        try OptionRanges.check(fps, OptionRanges.fps, "--fps")
    }

    func run() throws {
        let (graph, info, path) = try modelOptions.load()
        let catalog = try PresetCatalog(for: info)
        if listPresets {
            for p in catalog.presets { print(p.listing + (p.name == catalog.defaultPreset.name ? "\n    (default for \(info.name))" : "")) }
            return
        }
        let judges = try judge.map(Self.loadJudge)
        if let search { return try runSearch(count: search, graph: graph, info: info, path: path, judges: judges) }
        let preset = try preset.map(catalog.named) ?? catalog.defaultPreset
        let store = benchSteps == nil ? storeOptions.open(model: path) : nil
        let session = Session(graph: graph)
        let space = PixelSpace(info)
        let isOutput = (info.aliases[layer!] ?? layer!) == graph.values[graph.outputs[0]].name
        func objective(_ u: UnitAddress) -> Objective {
            .forUnit(layer: layer!, channel: u.channel, channelMean: channelMean, y: u.position?.y, x: u.position?.x,
                     graph: graph, info: info)
        }
        if let units {
            let list = units.split(separator: ",").map { UnitAddress(channel: Int($0)!) }
            let names = try (presets ?? preset.name).split(separator: ",").map { try catalog.named(String($0)) }
            var cells: [RGBImage] = []
            for u in list {
                let evaluator = try ObjectiveEvaluator(objective(u), session: session, space: space, info: info)
                for p in names {
                    cells.append(try runOne(evaluator, preset: p, info: info, unit: u.channel, isOutput: isOutput, judges: judges, store: store))
                }
            }
            let sheet = "\(out!)/sheet-\(layer!)-\(units.replacingOccurrences(of: ",", with: "_")).png"
            try ContactSheet.make(cells, columns: names.count).writePNG(to: sheet)
            print("wrote \(sheet) (rows: units \(units); columns: \(names.map(\.name).joined(separator: ", ")))")
            return
        }
        let u = UnitAddress(unit!)!
        let evaluator = try ObjectiveEvaluator(objective(u), session: session, space: space, info: info)
        if let benchSteps { return try bench(evaluator, preset: preset, steps: benchSteps) }
        _ = try runOne(evaluator, preset: preset, info: info, unit: u.channel, isOutput: isOutput, judges: judges, store: store)
    }

    /// What makes two runs the same (for resume): not the raw command line, so grid and single runs share results.
    private func runKey(_ objective: Objective, _ preset: Preset) -> [String] {
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys   // key order is otherwise not stable between processes
        let p = (try? enc.encode(preset)).map { String(decoding: $0, as: UTF8.self) } ?? preset.name
        let key = [objective.name, p, "\(iterations ?? preset.iterations)", "\(seed)", "\(historyEvery)", (try? modelOptions.modelPath()) ?? ""]
            + judge.map { "judge=\($0)" }
        // Only when asked, so records of runs without a video stay valid for reruns without one.
        return key + (video.map { ["video=\($0.rawValue)@\(fps)"] } ?? [])
    }

    /// One run with resume; returns the best image (read back when the run was already finished).
    @discardableResult
    private func runOne(_ evaluator: ObjectiveEvaluator, preset: Preset, info: ModelInfo, unit: Int, isOutput: Bool,
                        judges: [Classifier], store: (store: UnitImageStore, modelSHA256: String)?) throws -> RGBImage {
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
        var verdicts: [ClassifierVerdict] = []
        if let k = classIndex {
            let same = Classifier(graph: evaluator.session.graph, info: info)
            verdicts = Self.verdicts(result, classIndex: k, space: evaluator.space, classifiers: [same] + judges)
        }
        let top1 = verdicts.first?.seen.top1
        var details = ["objective \(evaluator.objective.name), preset \(preset.name), seed \(seed)",
                       preset.listing, String(format: "best %.4g at step %d; mean over 16 jitters %.4g; %@",
                                              Double(result.bestObjective), result.bestStep, Double(robust), result.stop.description)]
        if let classIndex, let top1 {
            details.append(String(format: "class %d (%@) top-1 in %.0f%% of 20 jittered copies (as seen, this network)",
                                  classIndex, info.label(classIndex), top1 * 100))
        }
        details += verdicts.enumerated().map { $1.line(judge: $0 > 0) }
        var files = try RunFiles.writeImages(result, dir: out!, name: name, title: "\(evaluator.objective.name) — \(preset.name)", details: details)
        if let video, !result.history.isEmpty {
            let file = "\(name)-history.\(video.rawValue)"
            let encoder = try VideoWriter.write(result.history.map(\.image), to: "\(out!)/\(file)", format: video, framesPerSecond: fps)
            details.append("history video: \(result.history.count) frames at \(fps) fps, encoder \(encoder)")
            files.append(file)
        }
        try RunFiles.writeRecord(RunRecord(arguments: arguments, preset: preset, objective: evaluator.objective.name,
                                           bestObjective: result.bestObjective, bestStep: result.bestStep, stop: result.stop.description,
                                           robustScore: robust, top1UnderJitter: top1, verdicts: classIndex == nil ? nil : verdicts,
                                           files: files), dir: out!, name: name)
        details.forEach { print($0) }
        print("wrote \(files.map { "\(out!)/\($0)" }.joined(separator: ", "))")
        if case .diverged = result.stop { throw ExitCode(2) }
        if let store {
            let key = UnitImageKey(modelSHA256: store.modelSHA256, layer: layer!, unit: unit, objective: evaluator.objective.name,
                                   preset: preset, iterations: ascent.iterations, seed: seed,
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

    /// A judge network: its ONNX file and the manifest beside it.
    static func loadJudge(_ path: String) throws -> Classifier {
        let model = try ONNXModel.load(path: path)
        return Classifier(graph: model.graph, info: try ModelInfo.forModel(at: path, graph: model.graph))
    }

    /// Each classifier's rates for class k over 20 jittered copies, as seen and as shown (the same copies for all).
    static func verdicts(_ r: AscentResult, classIndex k: Int, space: PixelSpace, classifiers: [Classifier]) -> [ClassifierVerdict] {
        let stretched = r.best != r.bestAsSeen
        let seen = Verdict.jitteredCopies(r.bestAsSeen, space: space, trials: 20)
        let shown = stretched ? Verdict.jitteredCopies(r.best, space: space, trials: 20) : seen
        return classifiers.map { c in
            let a = Verdict.rates(seen, classIndex: k, classifier: c)
            return ClassifierVerdict(name: c.name, seen: a, shown: stretched ? Verdict.rates(shown, classIndex: k, classifier: c) : a, stretched: stretched)
        }
    }

    private func runSearch(count: Int, graph: Graph, info: ModelInfo, path: String, judges: [Classifier]) throws {
        guard !judges.isEmpty else { throw ValidationError("--search needs at least one --judge (a different network), e.g. Models/efficientnet-lite1.onnx") }
        var plan = SearchPlan.standard(candidates: count, seed: seed, model: (path as NSString).lastPathComponent,
                                       judges: judge.map { ($0 as NSString).lastPathComponent })
        plan.firstSteps = searchSteps
        plan.firstTrials = searchTrials
        plan.secondSteps = iterations ?? plan.secondSteps
        plan.classes = Array(SearchPlan.standardClasses.prefix(searchClasses))
        let me = try Shard.resolve(option: shard, count: shards, environment: ProcessInfo.processInfo.environment)
        try PresetSearchRun(plan: plan, out: out!, shard: me, graph: graph, info: info, judges: judges).run()
    }

    private func bench(_ evaluator: ObjectiveEvaluator, preset: Preset, steps: Int) throws {
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
