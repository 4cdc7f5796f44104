import ArgumentParser
import Foundation
import Imaging
import NeuralNetwork
import Tensors
import Visualization

/// What the three photo-based commands share: the model, the photo in paper scale, output files.
struct PhotoContext {
    let session: Session
    let info: ModelInfo
    let space: PixelSpace
    let photo: Tensor

    init(_ options: ModelOptions, image: String) throws {
        let (graph, info, _) = try options.load()
        session = Session(graph: graph)
        self.info = info
        space = PixelSpace(info)
        photo = space.tensor(info.networkView(of: try ImageCodec.read(path: image)))
    }

    /// Runs `preset` on `objective` from `start` and writes NAME.png (+ history strip and page) into `out`.
    func ascend(_ objective: Objective, preset: Preset, start: Tensor?, iterations: Int?, seed: UInt64,
                out: String, name: String, key: [String]) throws {
        if RunFiles.finished(out, name: name, arguments: key) != nil {
            print("\(out)/\(name).png is already finished; skipping")
            return
        }
        let ev = try ObjectiveEvaluator(objective, session: session, space: space, info: info)
        let ascent = GradientAscent(evaluator: ev, preset: preset, iterations: iterations, seed: seed, historyEvery: 5)
        ascent.start = start
        ascent.stretchDisplay = false
        ascent.onProgress = ProgressReporter(label: name).report
        let r = try ascent.run()
        let details = ["objective \(objective.name), preset \(preset.listing)",
                       String(format: "best %.4g at step %d; %@", Double(r.bestObjective), r.bestStep, r.stop.description)]
        let files = try RunFiles.writeImages(r, dir: out, name: name, title: objective.name, details: details)
        try RunFiles.writeRecord(RunRecord(arguments: key, preset: preset, objective: objective.name, bestObjective: r.bestObjective,
                                           bestStep: r.bestStep, stop: r.stop.description, files: files), dir: out, name: name)
        details.forEach { print($0) }
        print("wrote \(files.map { "\(out)/\($0)" }.joined(separator: ", "))")
    }
}

struct Dream: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deep dream (maximize ½‖a‖² of a layer) or, with --caricature, amplify the photo's own code ⟨a, a₀⟩.")
    @OptionGroup var modelOptions: ModelOptions
    @Argument(help: "A JPEG or PNG image.") var image: String
    @Option(help: "Layer name (see `deepvis inspect`).") var layer: String
    @Flag(help: "Caricature instead of deep dream.") var caricature = false
    @Option(help: "Iterations (\(OptionRanges.text(OptionRanges.iterations))).") var iterations = 40
    @Option(help: "Random seed (jitter).") var seed: UInt64 = 0
    @Option(help: "Output directory.") var out: String

    func validate() throws {
        try OptionRanges.check(iterations, OptionRanges.iterations, "--iterations")
    }

    func run() throws {
        let ctx = try PhotoContext(modelOptions, image: image)
        let objective: Objective = caricature
            ? .caricature(layer, code: try ObjectiveEvaluator.code(of: layer, for: ctx.photo, session: ctx.session, space: ctx.space, info: ctx.info))
            : .deepDream(layer)
        let stem = ((image as NSString).lastPathComponent as NSString).deletingPathExtension
        let name = "\(stem)-\(caricature ? "caricature" : "dream")-\(layer)"
        try ctx.ascend(objective, preset: .dream, start: ctx.photo, iterations: iterations, seed: seed, out: out, name: name,
                       key: [image, layer, "\(caricature)", "\(iterations)", "\(seed)"])
    }
}

struct Invert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconstruct an image from a layer's code alone (Mahendran & Vedaldi 2015: code distance + α-norm + TV priors).")
    @OptionGroup var modelOptions: ModelOptions
    @Argument(help: "A JPEG or PNG image.") var image: String
    @Option(help: "Layer name (see `deepvis inspect`).") var layer: String
    @Option(help: "Iterations (\(OptionRanges.text(OptionRanges.iterations))).") var iterations = 300
    @Option(help: "Weight of the total-variation prior (\(OptionRanges.text(OptionRanges.tv))).") var tv: Float = 0.5
    @Option(help: "Random seed (start noise, jitter).") var seed: UInt64 = 0
    @Option(help: "Output directory.") var out: String

    func validate() throws {
        try OptionRanges.check(iterations, OptionRanges.iterations, "--iterations")
        try OptionRanges.check(Double(tv), OptionRanges.tv, "--tv")
    }

    func run() throws {
        let ctx = try PhotoContext(modelOptions, image: image)
        let code = try ObjectiveEvaluator.code(of: layer, for: ctx.photo, session: ctx.session, space: ctx.space, info: ctx.info)
        let stem = ((image as NSString).lastPathComponent as NSString).deletingPathExtension
        try ctx.ascend(.inversion(layer, code: code, tvWeight: tv), preset: .inversion, start: nil, iterations: iterations,
                       seed: seed, out: out, name: "\(stem)-invert-\(layer)", key: [image, layer, "\(iterations)", "\(tv)", "\(seed)"])
    }
}

struct Adversarial: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fast gradient sign (Goodfellow et al. 2015): one ε-step toward (or --away from) a class; prints top-5 before and after.",
        discussion: """
        --iterations N (N > 1) is Kurakin et al.'s basic iterative method: N signed steps of --step-size (default 1 pixel level),
        each projected back into the ε-ball around the photo and into valid pixels; prints the predicted label and the
        target's probability after every step.
        """)
    @OptionGroup var modelOptions: ModelOptions
    @Argument(help: "A JPEG or PNG image.") var image: String
    @Option(help: "Class index (0 up to the output width − 1).") var target: Int
    @Option(help: "Step size in 0–255 pixel units (greater than 0).") var epsilon: Float = 2
    @Flag(help: "Push away from the class instead of toward it.") var away = false
    @Option(help: "Signed steps (1: FGSM; more: the basic iterative method, within the ε-ball).") var iterations = 1
    @Option(help: "Step size per iteration in pixel units (default 1; a single step uses ε).") var stepSize: Float?
    @Option(help: "Output directory.") var out: String

    func validate() throws {
        guard epsilon.isFinite, epsilon > 0, epsilon <= 255 else { throw ValidationError("--epsilon must be in (0, 255] (pixel units)") }
        try OptionRanges.check(target, OptionRanges.classIndex, "--target")
        if iterations < 1 || iterations > 10_000 { throw ValidationError("--iterations must be between 1 and 10000") }
        if let stepSize, !(stepSize.isFinite && stepSize > 0 && stepSize <= 255) {
            throw ValidationError("--step-size must be in (0, 255] (pixel units)")
        }
    }

    func run() throws {
        let ctx = try PhotoContext(modelOptions, image: image)
        let output = ctx.session.graph.outputs[0]
        guard (0..<ctx.session.graph.values[output].shape.elementCount).contains(target) else {
            throw NetworkError.unitOutOfRange(layer: ctx.session.graph.values[output].name, shape: ctx.session.graph.values[output].shape, unit: [target])
        }
        func top5(_ x: Tensor, _ title: String) {
            ctx.space.writeNetworkInput(x, into: ctx.session.input)
            ctx.session.forward()
            print(title)
            for (k, p) in topK(logits: ctx.session.values[output].array, k: 5) {
                print(String(format: "  %5.1f%%  %4d %@%@", Double(p * 100), k, ctx.info.label(k), k == target ? "  ← target" : ""))
            }
        }
        top5(ctx.photo, "before:")
        let adv: Tensor
        let direction = away ? "away from" : "toward"
        if iterations == 1 && stepSize == nil {
            adv = try FastGradientSign.perturb(ctx.photo, classIndex: target, epsilon: epsilon, toward: !away,
                                               session: ctx.session, space: ctx.space)
            top5(adv, String(format: "after FGSM %@ class %d (%@), ε = %g:", direction, target, ctx.info.label(target), Double(epsilon)))
        } else {
            let alpha = stepSize ?? 1
            adv = try FastGradientSign.iterate(ctx.photo, classIndex: target, epsilon: epsilon, stepSize: alpha, iterations: iterations,
                                               toward: !away, session: ctx.session, space: ctx.space) { i, logits in
                let best = topK(logits: logits, k: 1)[0], p = topK(logits: logits, k: logits.count).first { $0.index == target }?.probability ?? 0
                print(String(format: "iteration %d: top-1 %d %@ (%.1f%%); target %.2f%%", i, best.index, ctx.info.label(best.index),
                             Double(best.probability * 100), Double(p * 100)))
            }
            top5(adv, String(format: "after %d iterations %@ class %d (%@), ε = %g, step %g:", iterations, direction, target,
                             ctx.info.label(target), Double(epsilon), Double(alpha)))
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let stem = ((image as NSString).lastPathComponent as NSString).deletingPathExtension + "-fgsm-\(target)"
        let delta = Tensor(shape: adv.shape)
        for i in 0..<delta.count { delta[i] = adv[i] - ctx.photo[i] }
        try ctx.space.image(adv).writePNG(to: "\(out)/\(stem).png")
        try ctx.space.stretchedImage(delta).writePNG(to: "\(out)/\(stem)-perturbation.png")
        print("wrote \(out)/\(stem).png and \(out)/\(stem)-perturbation.png")
    }
}
