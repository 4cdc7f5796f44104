import Foundation
import Imaging
import NeuralNetwork
import ONNXImport
import Tensors
import Testing
import TestSupport
import Visualization

/// The one test on the default model: a synthesized image beats every real photo on its class score.
@Suite struct RealModelTests {
    @Test func optimizedLogitFarExceedsItsValueOnEveryPhoto() throws {
        let model = try ONNXModel.load(path: Fixtures.requireDefaultModel())
        let info = try ModelInfo.forModel(at: Fixtures.defaultModel, graph: model.graph)
        let session = Session(graph: model.graph)
        let space = PixelSpace(info)
        let flamingo = 130
        let ev = try ObjectiveEvaluator(.logit(flamingo), session: session, space: space, info: info)
        var photoScores: [Float] = []
        for name in ["chelsea", "coffee", "astronaut", "rocket"] {
            let photo = try ImageCodec.read(path: "\(Fixtures.photosDir)/\(name).png")
            photoScores.append(try ev.evaluate(space.tensor(info.networkView(of: photo))).value)
        }
        // paper-4's step rule and blur without its clipping: ~3 logits per step, so few (slow, debug-build) steps suffice.
        let preset = Preset(name: "progress-blur", summary: "test", iterations: 30, stepRule: .progress(maxRate: 1e8, desired: 3),
                            regularizers: [.blur(width: 0.5, every: 4)])
        let ascent = GradientAscent(evaluator: ev, preset: preset, seed: 0)
        let r = try ascent.run()
        let best = photoScores.max()!
        print("flamingo logit: photos \(photoScores), optimized \(r.bestObjective)")
        #expect(r.bestObjective > best + 10 && r.bestObjective > 2 * abs(best), "photos \(photoScores), optimized \(r.bestObjective)")
    }
}
