import Capture
import Foundation
import Imaging
import LivePipeline
import NeuralNetwork
import Testing
import TestSupport
import Visualization

/// The ascent thread's store lookup and the top-patch thread, on the tiny network and a fake camera.
@Suite(.serialized) struct UnitImageTests {
    let model = try! TinyLiveModel.make()
    var layers: [PipelineLayer] { PipelineLayer.list(graph: model.graph, info: model.info) }
    let settings = AscentSettings(preset: Preset.named(Preset.defaultName)!, iterations: 10, seed: 2)

    func makePipeline(store: UnitImageStore?, lossless: Bool = false) -> LivePipeline {
        var configuration = LivePipeline.Configuration()
        configuration.lossless = lossless
        configuration.topPatchFrameGap = 0
        configuration.unitImages = store.map { UnitImageLookup(store: $0, modelSHA256: "tiny", atlas: nil) }
        var controls = PipelineControls(selection: UnitSelection(layerIndex: 1, channel: 1))
        controls.ascent = settings
        let camera = FakeCamera(interval: 0)
        return LivePipeline(graph: model.graph, info: model.info, layers: layers,
                            sources: [LiveSource(name: "camera fake") { try camera.open() }], controls: controls,
                            configuration: configuration)
    }

    func finished(_ pipeline: LivePipeline, channel: Int) -> AscentSnapshot? {
        guard let a = pipeline.latestAscent, a.selection.channel == channel, a.phase == .finished else { return nil }
        return a
    }

    @Test func revisitedUnitComesFromTheStoreAndATruncatedEntryIsRecomputed() throws {
        let root = NSTemporaryDirectory() + "deepvis-live-store-\(UUID().uuidString)"
        let store = try UnitImageStore(root: root)
        let pipeline = makePipeline(store: store)
        pipeline.start()
        defer { pipeline.stop() }
        #expect(pipeline.wait(timeout: 30) { finished(pipeline, channel: 1) != nil })
        let computed = try #require(finished(pipeline, channel: 1))
        #expect(computed.source == .computed)
        pipeline.update { $0.selection.channel = 2 }
        #expect(pipeline.wait(timeout: 30) { finished(pipeline, channel: 2) != nil })
        pipeline.update { $0.selection.channel = 1 }
        #expect(pipeline.wait(timeout: 30) { finished(pipeline, channel: 1) != nil })
        let served = try #require(finished(pipeline, channel: 1))
        #expect(served.source == .store && served.image == computed.image && served.seen == computed.seen)
        #expect(served.history.map(\.image) == computed.history.map(\.image) && served.curve == computed.curve)
        #expect(pipeline.statistics.unitImageSources[.store] == 1 && pipeline.statistics.unitImageSources[.computed] == 2)

        // Truncate the entry's image: the next visit recomputes it and replaces the entry.
        let key = UnitImageKey(modelSHA256: "tiny", layer: "conv2", unit: 1, objective: "conv2:1", preset: settings.preset,
                               iterations: 10, seed: 2, inputWidth: 16, inputHeight: 16)
        let png = "\(store.directory(of: key))/\(key.name).png"
        let bytes = try #require(FileManager.default.contents(atPath: png))
        try bytes.prefix(20).write(to: URL(fileURLWithPath: png))
        pipeline.update { $0.selection.channel = 2 }
        #expect(pipeline.wait(timeout: 30) { finished(pipeline, channel: 2)?.source == .store })
        pipeline.update { $0.selection.channel = 1 }
        #expect(pipeline.wait(timeout: 30) { finished(pipeline, channel: 1) != nil })
        #expect(finished(pipeline, channel: 1)?.source == .computed && finished(pipeline, channel: 1)?.image == computed.image)
        #expect(store.load(key)?.image == computed.image)
    }

    @Test func topPatchesAreTheReceptiveFieldCropsAtTheArgmaxOfADirectRun() throws {
        let pipeline = makePipeline(store: nil, lossless: true)
        pipeline.update { $0.ascent = nil }
        pipeline.start()
        defer { pipeline.stop() }
        var frames: [(id: Int, index: Int)] = []
        for k in 1...14 {
            pipeline.requestFrame()
            #expect(pipeline.wait(timeout: 10) { pipeline.latestSnapshot?.sequence == k })
            #expect(pipeline.wait(timeout: 10) { pipeline.latestTopPatches?.frames == k })
            let s = try #require(pipeline.latestSnapshot)
            frames.append((s.frameID, s.sourceFrameIndex))
        }
        let lists = try #require(pipeline.latestTopPatches)
        let layer = layers[1]
        let field = ReceptiveField.of(layer: layer.valueID, in: model.graph)
        // Independently: a plain forward pass per frame, the first maximum of each channel, the 9 best frames.
        let session = Session(graph: model.graph)
        var perFrame: [(id: Int, view: RGBImage, values: [Float])] = []
        for f in frames {
            let view = model.info.networkView(of: FakeCamera.image(f.index))
            model.info.fill(session.input, from: view)
            session.forward()
            perFrame.append((f.id, view, session.values[layer.valueID].array))
        }
        let plane = layer.height * layer.width
        for c in 0..<layer.channels {
            var best: [(activation: Float, id: Int, y: Int, x: Int, view: RGBImage)] = []
            for f in perFrame {
                var top = -Float.infinity, at = 0
                for i in 0..<plane where f.values[c * plane + i] > top { top = f.values[c * plane + i]; at = i }
                best.append((top, f.id, at / layer.width, at % layer.width, f.view))
            }
            // Stable: among equal activations the earlier frame stays ahead.
            best = Array(best.enumerated().sorted { $0.element.activation > $1.element.activation
                || ($0.element.activation == $1.element.activation && $0.offset < $1.offset) }.map(\.element).prefix(9))
            let got = lists.patches[c]
            #expect(got.map(\.record.image) == best.map(\.id), "channel \(c)")
            #expect(got.map(\.record.activation) == best.map(\.activation), "channel \(c)")
            for (patch, want) in zip(got, best) {
                // The receptive field cut to the image (its part inside the input view).
                let box = field.box(y: want.y, x: want.x, imageWidth: 16, imageHeight: 16)
                let (x0, y0) = (max(box.x, 0), max(box.y, 0))
                let (x1, y1) = (min(box.x + box.width, 16), min(box.y + box.height, 16))
                #expect(patch.crop == Self.crop(want.view, x: x0, y: y0, width: x1 - x0, height: y1 - y0))
            }
        }
        #expect(lists.filledChannels == layer.channels && pipeline.statistics.topPatchesFilled == layer.channels)
        // Backward images are computed lazily for the selected channel once asked for.
        pipeline.update { $0.patchBackward = true }
        #expect(pipeline.wait(timeout: 30) { pipeline.latestTopPatches?.backward.count == 9 })
        #expect(pipeline.latestTopPatches?.backwardChannel == 1)
    }

    /// A crop with gray outside the image, written out plainly.
    static func crop(_ image: RGBImage, x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        var out = RGBImage(width: width, height: height, fill: (128, 128, 128))
        for row in 0..<height where (0..<image.height).contains(y + row) {
            for col in 0..<width where (0..<image.width).contains(x + col) {
                for k in 0..<3 { out.pixels[(row * width + col) * 3 + k] = image.pixels[((y + row) * image.width + x + col) * 3 + k] }
            }
        }
        return out
    }
}
