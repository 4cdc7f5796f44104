import Foundation
import NeuralNetwork
import ONNXImport
import Tensors
import Testing

/// ONNX's own backend node tests (Debian package libonnx-testdata), run through our importer and engine.
@Suite struct BackendNodeTests {
    static let root = "/usr/share/libonnx-testdata/data/node"

    struct Outcome { var ran = 0, passed = 0; var failures: [String] = [], unsupported: [String] = [] }

    /// Runs one test directory; returns nil when the model needs something we don't support.
    static func run(_ dir: String) throws -> (ok: Bool, detail: String)? {
        let modelData = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.onnx"))
        let names = try ONNXModel.inputNames(data: modelData)
        let set = dir + "/test_data_set_0"
        var inputs: [Tensor] = []
        // Inputs or outputs that are not plain tensors (sequences, optionals: e.g. test_identity_sequence) are unsupported variants.
        for i in names.indices {
            guard let t = try? decodeONNXTensor(Data(contentsOf: URL(fileURLWithPath: "\(set)/input_\(i).pb"))) else { return nil }
            inputs.append(t.tensor)
        }
        guard let expected = try? decodeONNXTensor(Data(contentsOf: URL(fileURLWithPath: "\(set)/output_0.pb"))).tensor else { return nil }
        // Every input but the first becomes a constant, as weights are in real models.
        var consts: [String: Tensor] = [:]
        for (n, t) in zip(names.dropFirst(), inputs.dropFirst()) { consts[n] = t }
        let model: ONNXModel
        do {
            model = try ONNXModel.load(data: modelData, source: dir, inputShape: inputs.first?.shape, constants: consts)
        } catch let e as ONNXImportError {
            // Variants outside what we claim (integer tensors, 3-D windows, run-time attributes) are listed, not failed.
            let text = "\(e)"
            let unsupported = ["unsupported operator", "not supported", "must be a constant", "must be float32", "no non-constant input"]
            return unsupported.contains(where: text.contains) ? nil : (false, "import: \(e)")
        }
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
        var out = Outcome()
        var covered = Set<String>()
        for d in dirs {
            let path = "\(Self.root)/\(d)"
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: path + "/model.onnx")),
                  let ops = try? ONNXModel.operatorTypes(data: data), ops.isSubset(of: supported) else { continue }
            guard let r = try Self.run(path) else { out.unsupported.append(d); continue }
            out.ran += 1
            if r.ok { out.passed += 1; covered.formUnion(ops) } else { out.failures.append("\(d): \(r.detail)") }
        }
        print("ONNX backend node tests: \(out.passed) passed, \(out.ran - out.passed) failed of \(out.ran) run; \(out.unsupported.count) use unsupported variants: \(out.unsupported.joined(separator: " "))")
        for f in out.failures { print("  FAIL \(f)") }
        #expect(out.failures.isEmpty, "\(out.failures)")
        #expect(out.ran >= 10)
        let registered = supported.filter { !$0.contains(" ") }
        let untested = registered.subtracting(covered).subtracting(["Constant", "Flatten"])
        print("operators with no passing node test: \(untested.sorted())")
    }
}
