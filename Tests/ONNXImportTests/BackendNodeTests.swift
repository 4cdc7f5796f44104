import Foundation
import NeuralNetwork
import ONNXImport
import Tensors
import Testing

/// ONNX's own backend node tests (Debian package libonnx-testdata), run through our importer and engine.
@Suite struct BackendNodeTests {
    static let root = "/usr/share/libonnx-testdata/data/node"

    /// Node tests of supported operators that use a variant we deliberately do not support, by name, with why.
    /// Every other test of a supported operator must import and match; a listed test that starts passing fails
    /// too, so the list stays exact.
    static let unsupportedVariants: [String: String] = [
        // integer tensors (the engine is float32)
        "test_add_uint8": "integer tensors (the engine is float32)",
        "test_clip_default_int8_inbounds": "integer tensors (the engine is float32)",
        "test_clip_default_int8_max": "integer tensors (the engine is float32)",
        "test_clip_default_int8_min": "integer tensors (the engine is float32)",
        "test_div_uint8": "integer tensors (the engine is float32)",
        "test_edge_pad": "integer tensors (the engine is float32)",
        "test_maxpool_2d_uint8": "integer tensors (the engine is float32)",
        "test_mul_uint8": "integer tensors (the engine is float32)",
        "test_reflect_pad": "integer tensors (the engine is float32)",
        "test_sub_uint8": "integer tensors (the engine is float32)",
        // 1-D or 3-D windows (only 2-D)
        "test_averagepool_1d_default": "1-D or 3-D windows (only 2-D)",
        "test_averagepool_3d_default": "1-D or 3-D windows (only 2-D)",
        "test_maxpool_1d_default": "1-D or 3-D windows (only 2-D)",
        "test_maxpool_3d_default": "1-D or 3-D windows (only 2-D)",
        // training mode
        "test_batchnorm_epsilon_training_mode": "training mode",
        "test_batchnorm_example_training_mode": "training mode",
        "test_training_dropout": "training mode",
        "test_training_dropout_default": "training mode",
        "test_training_dropout_zero_ratio": "training mode",
        // a second output (Dropout mask, MaxPool Indices)
        "test_dropout_default_mask": "a second output (Dropout mask, MaxPool Indices)",
        "test_dropout_default_mask_ratio": "a second output (Dropout mask, MaxPool Indices)",
        "test_training_dropout_default_mask": "a second output (Dropout mask, MaxPool Indices)",
        "test_training_dropout_mask": "a second output (Dropout mask, MaxPool Indices)",
        "test_training_dropout_zero_ratio_mask": "a second output (Dropout mask, MaxPool Indices)",
        "test_maxpool_with_argmax_2d_precomputed_pads": "a second output (Dropout mask, MaxPool Indices)",
        "test_maxpool_with_argmax_2d_precomputed_strides": "a second output (Dropout mask, MaxPool Indices)",
        // no graph input (an image model has one)
        "test_constant": "no graph input (an image model has one)",
        // optional or sequence values
        "test_identity_opt": "optional or sequence values",
        "test_identity_sequence": "optional or sequence values",
        // an empty tensor (every value must have positive dimensions)
        "test_reshape_allowzero_reordered": "an empty tensor (every value must have positive dimensions)",
    ]

    /// Registered operators without a usable node test: folded BatchNorm is a rewrite, not an op (covered by the
    /// EfficientNet reference tests); Constant's only node test has no graph input (listed above).
    static let operatorsWithoutNodeTests: Set<String> = ["BatchNormalization (folded into a preceding Conv)", "Constant"]

    /// Why a test directory's data is not one float tensor per input and output (sequences, optionals, strings).
    struct NotPlainTensors: Error, CustomStringConvertible { let description: String }

    /// Runs one test directory: (matches, detail). Throws when the model or its data cannot be used.
    static func run(_ dir: String) throws -> (ok: Bool, detail: String) {
        let modelData = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.onnx"))
        let names = try ONNXModel.inputNames(data: modelData)
        let set = dir + "/test_data_set_0"
        var inputs: [Tensor] = []
        for i in names.indices {
            guard let t = try? decodeONNXTensor(Data(contentsOf: URL(fileURLWithPath: "\(set)/input_\(i).pb"))) else {
                throw NotPlainTensors(description: "input \(i) is not a plain tensor")
            }
            inputs.append(t.tensor)
        }
        guard let expected = try? decodeONNXTensor(Data(contentsOf: URL(fileURLWithPath: "\(set)/output_0.pb"))).tensor else {
            throw NotPlainTensors(description: "output 0 is not a plain tensor")
        }
        // Every input but the first becomes a constant, as weights are in real models.
        var consts: [String: Tensor] = [:]
        for (n, t) in zip(names.dropFirst(), inputs.dropFirst()) { consts[n] = t }
        let model = try ONNXModel.load(data: modelData, source: dir, inputShape: inputs.first?.shape, constants: consts)
        let session = Session(graph: model.graph)
        session.input.assign(inputs[0])
        session.forward()
        let got = session.values[model.graph.outputs[0]]
        guard got.shape == expected.shape || got.count == expected.count && expected.shape.isEmpty else {
            return (false, "shape \(got.shape) vs expected \(expected.shape)")
        }
        var worst: Float = 0
        for i in 0..<got.count {
            let diff = abs(got[i] - expected[i]), tol = 1e-7 + 1e-3 * abs(expected[i])
            if !(diff <= tol) { worst = max(worst, diff.isNaN ? .infinity : diff) }
        }
        return (worst == 0, worst == 0 ? "" : "max excess error \(worst)")
    }

    @Test func supportedOperatorsMatchONNXReference() throws {
        let dirs = try FileManager.default.contentsOfDirectory(atPath: Self.root).filter { $0.hasPrefix("test_") }.sorted()
        #expect(dirs.count > 500, "libonnx-testdata is not installed (the test command installs it)")
        let supported = Set(ONNXModel.supportedOperators)
        var passed = 0, listedSeen = Set<String>()
        var failures: [String] = [], errors: [String] = [], covered = Set<String>()
        for d in dirs {
            let path = "\(Self.root)/\(d)"
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: path + "/model.onnx")),
                  let ops = try? ONNXModel.operatorTypes(data: data), ops.isSubset(of: supported) else { continue }
            let listed = Self.unsupportedVariants[d] != nil
            if listed { listedSeen.insert(d) }
            do {
                let r = try Self.run(path)
                if r.ok {
                    passed += 1
                    covered.formUnion(ops)
                    if listed { failures.append("\(d): listed as unsupported but passes; remove it from the list") }
                } else if !listed {
                    failures.append("\(d): \(r.detail)")
                }
            } catch {
                if !listed { errors.append("\(d): \(error)") }
            }
        }
        print("ONNX backend node tests: \(passed) passed; \(listedSeen.count) unsupported variants listed; \(failures.count) failed; \(errors.count) errors")
        for f in failures + errors { print("  FAIL \(f)") }
        #expect(failures.isEmpty, "\(failures)")
        #expect(errors.isEmpty, "tests of supported operators that do not import (fix, or list the variant with a reason): \(errors)")
        let stale = Set(Self.unsupportedVariants.keys).subtracting(listedSeen)
        #expect(stale.isEmpty, "listed variants that are not node tests of supported operators: \(stale.sorted())")
        let untested = supported.subtracting(covered).subtracting(Self.operatorsWithoutNodeTests)
        #expect(untested.isEmpty, "registered operators with no passing node test: \(untested.sorted())")
    }
}
