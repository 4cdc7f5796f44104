import Foundation
import Imaging
import NeuralNetwork
import ONNXImport
import Testing
import TestSupport
import Visualization

/// The judge (a different network scoring jittered copies) on fixed images: real photos of a class
/// are judged as that class, uniform noise is not.
@Suite struct JudgeTests {
    static let judgePath = Fixtures.root + "/Models/efficientnet-lite1.onnx"

    static func judge() throws -> Classifier {
        guard FileManager.default.fileExists(atPath: judgePath) else {
            throw ExternalToolError("\(judgePath) missing: run Scripts/fetch-model lite1")
        }
        let model = try ONNXModel.load(path: judgePath)
        return Classifier(graph: model.graph, info: try ModelInfo.forModel(at: judgePath, graph: model.graph))
    }

    /// The optimized network's pixel space (lite0, 224×224): the judge sees images at that size, as optimized images are.
    static func space() throws -> (PixelSpace, ModelInfo) {
        let model = try ONNXModel.load(path: Fixtures.defaultModel)
        let info = try ModelInfo.forModel(at: Fixtures.defaultModel, graph: model.graph)
        return (PixelSpace(info), info)
    }

    static func photo(_ name: String, _ info: ModelInfo) throws -> RGBImage {
        let path = "\(Fixtures.photosDir)/\(name).png"
        guard FileManager.default.fileExists(atPath: path) else { throw ExternalToolError("\(path) missing: run Scripts/reference-outputs") }
        return info.networkView(of: try ImageCodec.read(path: path))
    }

    @Test func photosAreJudgedAsTheirClassAndNoiseIsNot() throws {
        let judge = try Self.judge()
        #expect(judge.info.inputWidth == 240, "lite1 judges at its own size (the image is resized to it)")
        let (space, info) = try Self.space()
        let trials = 4
        // scikit-image's coffee: espresso (967); chelsea: a cat (tabby 281, tiger cat 282, Egyptian cat 285).
        let coffee = Verdict.jitteredCopies(try Self.photo("coffee", info), space: space, trials: trials)
        let espresso = Verdict.rates(coffee, classIndex: 967, classifier: judge)
        #expect(espresso.top5 >= 3.0 / 4, "coffee: espresso in the judge's top 5 in \(espresso.top5 * 100)% of copies")
        let chelsea = Verdict.jitteredCopies(try Self.photo("chelsea", info), space: space, trials: trials)
        let cats = [281, 282, 285].map { Verdict.rates(chelsea, classIndex: $0, classifier: judge) }
        #expect(cats.map(\.top5).max()! >= 3.0 / 4, "chelsea: cat classes' top-5 rates \(cats.map(\.top5))")
        #expect(cats.map(\.top1).reduce(0, +) >= 3.0 / 4, "chelsea: a cat class is top-1 in most copies: \(cats.map(\.top1))")
        // Uniform noise over 0…255: neither espresso nor a cat.
        var rng = SplitMix64(seed: 7)
        let noise = RGBImage(width: 224, height: 224, pixels: (0..<(224 * 224 * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let noisy = Verdict.jitteredCopies(noise, space: space, trials: trials)
        for k in [967, 281, 282, 285] {
            let r = Verdict.rates(noisy, classIndex: k, classifier: judge)
            #expect(r.top5 == 0 && r.probability < 0.05, "noise judged as class \(k): \(r)")
        }
    }
}
