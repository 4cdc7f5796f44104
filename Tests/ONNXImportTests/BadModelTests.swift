import Foundation
import ONNXImport
import TestSupport
import Testing

/// Files that are not usable models get an error that says so, never a crash.
@Suite struct BadModelTests {
    static func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deepvis-bad-models")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func message(_ path: String) -> String? {
        do { _ = try ONNXModel.load(path: path); return nil } catch { return "\(error)" }
    }

    @Test func missingFile() {
        #expect(Self.message("/nonexistent/model.onnx") == "/nonexistent/model.onnx: no such file")
    }

    @Test func emptyFile() throws {
        let m = Self.message(try Self.write([], "empty.onnx"))
        #expect(m?.contains("the file is empty") == true, "\(m ?? "loaded")")
    }

    @Test func truncatedModel() throws {
        let full = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.defaultModel)))
        for fraction in [0.5, 0.999] {
            let m = Self.message(try Self.write(Array(full.prefix(Int(Double(full.count) * fraction))), "truncated.onnx"))
            #expect(m?.contains("not a readable ONNX model") == true, "\(fraction): \(m ?? "loaded")")
        }
    }

    @Test func randomBytes() throws {
        var rng = SplitMix64(seed: 5)
        for n in [1, 17, 4096] {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let m = Self.message(try Self.write(bytes, "random.onnx"))
            #expect(m?.contains("not a readable ONNX model") == true, "\(n) bytes: \(m ?? "loaded")")
        }
    }

    @Test func textFile() throws {
        let m = Self.message(try Self.write(Array("name,value\n1,2\n".utf8), "table.onnx"))
        #expect(m?.contains("not a readable ONNX model") == true, "\(m ?? "loaded")")
    }

    @Test func unsupportedOperatorIsNamedWithItsNode() throws {
        // A real ONNX file (from ONNX's own test data) whose operator we do not implement.
        let m = Self.message("/usr/share/libonnx-testdata/data/node/test_gru_defaults/model.onnx")
        #expect(m?.hasPrefix("unsupported operator 'GRU' (node '") == true, "\(m ?? "loaded")")
        #expect(m?.contains("opset") == true && m?.contains("Supported: ") == true)
    }
}
