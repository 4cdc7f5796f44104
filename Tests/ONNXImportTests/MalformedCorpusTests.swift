import Foundation
import NeuralNetwork
import ONNXImport
import TestSupport
import Testing

/// The import-only cases of the malformed-model corpus (Tests/Fixtures/malformed/cases.tsv, the `inspect`
/// rows), through the library in-process: each throws an error with the expected words, or loads and plans.
/// The same files run against the release binary in DeepVisCLITests/MalformedModelTests.
@Suite struct MalformedCorpusTests {
    static let dir = Fixtures.root + "/Tests/Fixtures/malformed"

    static let cases: [(name: String, expect: String, message: String)] = {
        guard let text = try? String(contentsOfFile: dir + "/cases.tsv", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return f[1].hasPrefix("inspect ") ? (f[0], f[2], f[3]) : nil
        }
    }()

    @Test func importCasesFailClearlyOrLoad() throws {
        #expect(Self.cases.count >= 40, "the malformed-model corpus is missing: run Scripts/make-malformed-models")
        for c in Self.cases {
            let path = "\(Self.dir)/models/\(c.name).onnx"
            do {
                let model = try ONNXModel.load(path: path)
                #expect(c.expect == "ok", "\(c.name) loaded, expected an error with '\(c.message)'")
                // A model that loads must also plan and run once.
                let session = Session(graph: model.graph)
                session.forward()
            } catch {
                #expect(c.expect == "error", "\(c.name): unexpected error \(error)")
                #expect("\(error)".contains(c.message), "\(c.name): '\(error)' lacks '\(c.message)'")
                #expect(!"\(error)".contains("\n"), "\(c.name): the error spans several lines")
            }
        }
    }
}
