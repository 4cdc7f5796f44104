import Foundation
import NeuralNetwork
import ONNXImport
import Tensors
import TensorsAVX512
import TestSupport
import Testing

/// The default model against onnxruntime on the same preprocessed photographs.
@Suite struct EfficientNetReferenceTests {
    @Test func layersMatchOnnxruntime() throws {
        let model = try ONNXModel.load(path: Fixtures.defaultModel)
        let index = try Fixtures.referenceIndex()
        let session = Session(graph: model.graph)
        #expect(index.photos.count >= 4)
        for (name, photo) in index.photos.sorted(by: { $0.key < $1.key }) {
            let input = try Fixtures.readFloat32(Fixtures.referenceDir + "/" + photo.input.file, shape: photo.input.shape)
            session.run(input)
            for layer in index.layers {
                let ref = photo.outputs[layer]!
                let expected = try Fixtures.readFloat32(Fixtures.referenceDir + "/" + ref.file, shape: ref.shape)
                let got = try session.value(layer)
                #expect(got.count == expected.count, "\(layer): \(got.shape) vs \(ref.shape)")
                var maxAbs: Float = 0, maxRef: Float = 0
                for i in 0..<min(got.count, expected.count) {
                    maxAbs = max(maxAbs, abs(got[i] - expected[i]))
                    maxRef = max(maxRef, abs(expected[i]))
                }
                print("\(name) \(layer): max abs error \(maxAbs) (max |value| \(maxRef))")
                // Errors grow with depth through float32 rounding; relative to the layer's scale they stay tiny.
                #expect(maxAbs <= 1e-3 * max(1, maxRef), "\(name) \(layer): max abs error \(maxAbs)")
                if layer == "logits" { #expect(maxAbs <= 1e-3, "\(name) logits: max abs error \(maxAbs)") }
            }
        }
    }

    /// The session `classify` and `bench` use (outputs only: shared buffers, expand → depthwise in bands, the blocks
    /// with 14×14 and 7×7 outputs as one step each)
    /// gives onnxruntime's logits too.
    @Test func outputsOnlyLogitsMatchOnnxruntime() throws {
        let model = try ONNXModel.load(path: Fixtures.defaultModel)
        let index = try Fixtures.referenceIndex()
        let session = Session(graph: model.graph, outputsOnly: true)
        #expect(session.bandedNodes.contains { $0 == ["blocks.1.expand.bn", "blocks.1.depthwise.bn"] }, "\(session.bandedNodes)")
        if PointwiseAVX512.supported {
            #expect(session.fusedBlockNodes == (5...15).map { "blocks.\($0).expand.bn" }, "\(session.fusedBlockNodes)")
            #expect(session.pooledHeadNodes == ["head.bn"], "\(session.pooledHeadNodes)")
        }
        let logits = try model.graph.id(of: "logits")
        for (name, photo) in index.photos.sorted(by: { $0.key < $1.key }) {
            let input = try Fixtures.readFloat32(Fixtures.referenceDir + "/" + photo.input.file, shape: photo.input.shape)
            session.run(input)
            let ref = photo.outputs["logits"]!
            let expected = try Fixtures.readFloat32(Fixtures.referenceDir + "/" + ref.file, shape: ref.shape)
            let got = session.values[logits]
            #expect(got.count == expected.count)
            let maxAbs = (0..<min(got.count, expected.count)).map { abs(got[$0] - expected[$0]) }.max() ?? .infinity
            #expect(maxAbs <= 1e-3, "\(name) logits: max abs error \(maxAbs)")
        }
    }

    /// The live forward pass on frames the probe does not read: outputs only, but the shown layers kept readable
    /// (one inside a banded expand → depthwise pair, one a fused block's output, the pooled head's map). They and the
    /// logits match onnxruntime, and the blocks not kept still run fused.
    @Test func keptLayersOfAnOutputsOnlySessionMatchOnnxruntime() throws {
        let model = try ONNXModel.load(path: Fixtures.defaultModel)
        let index = try Fixtures.referenceIndex()
        let kept = ["blocks.1.depthwise", "blocks.8", "head"]
        let session = Session(graph: model.graph, outputsOnly: true, keeping: try kept.map { try model.graph.id(of: $0) })
        if PointwiseAVX512.supported {
            #expect(session.fusedBlockNodes == (5...15).map { "blocks.\($0).expand.bn" }, "\(session.fusedBlockNodes)")
            #expect(session.pooledHeadNodes.isEmpty, "the head's map is kept, so it is not pooled as it is made")
        }
        for (name, photo) in index.photos.sorted(by: { $0.key < $1.key }) {
            let input = try Fixtures.readFloat32(Fixtures.referenceDir + "/" + photo.input.file, shape: photo.input.shape)
            session.run(input)
            for layer in kept + ["logits"] {
                let ref = try #require(photo.outputs[layer])
                let expected = try Fixtures.readFloat32(Fixtures.referenceDir + "/" + ref.file, shape: ref.shape)
                let got = try session.value(layer)
                #expect(got.count == expected.count, "\(layer): \(got.shape) vs \(ref.shape)")
                let maxRef = (0..<expected.count).map { abs(expected[$0]) }.max() ?? 0
                let maxAbs = (0..<min(got.count, expected.count)).map { abs(got[$0] - expected[$0]) }.max() ?? .infinity
                #expect(maxAbs <= 1e-3 * max(1, maxRef), "\(name) \(layer): max abs error \(maxAbs)")
            }
        }
    }
}
