import Foundation
import Tensors

/// Paths to the repository's models and to the fixtures that `Scripts/test` prepares.
public enum Fixtures {
    /// The repository root (found from this file's path, so tests run from any directory).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The default model, written by Scripts/fetch-model.
    public static var defaultModel: String { root + "/Models/efficientnet-lite0.onnx" }

    /// A fixture that tests need and a command makes: missing means failing with that command, never skipping.
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// `path` if it exists, else an error naming `command`, the one that makes it.
    @discardableResult
    public static func require(_ path: String, makeWith command: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw Missing(description: "\(path) is missing: run \(command)") }
        return path
    }

    /// The default model, or an error saying to run Scripts/fetch-model.
    public static func requireDefaultModel() throws -> String { try require(defaultModel, makeWith: "Scripts/fetch-model") }

    /// Throws unless an X display is set: the window tests run under xvfb-run, as Scripts/test runs the suite.
    public static func requireDisplay() throws {
        guard !(ProcessInfo.processInfo.environment["DISPLAY"] ?? "").isEmpty else {
            throw Missing(description: "no X display: run the suite with Scripts/test (or xvfb-run -a swift test)")
        }
    }
    /// onnxruntime reference outputs, written by Scripts/reference-outputs.
    public static var referenceDir: String { root + "/.cache/reference" }
    /// Real photographs from scikit-image, written by Scripts/reference-outputs.
    public static var photosDir: String { root + "/.cache/photos" }

    /// Reads a raw little-endian float32 file into a tensor of the given shape.
    public static func readFloat32(_ path: String, shape: [Int]) throws -> Tensor {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        precondition(data.count == shape.elementCount * 4, "\(path): \(data.count) bytes for shape \(shape)")
        let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return Tensor(shape: shape, values: values)
    }

    /// The reference index (Scripts/reference-outputs' index.json).
    public static func referenceIndex() throws -> ReferenceIndex {
        let index = try require(referenceDir + "/index.json", makeWith: "Scripts/reference-outputs")
        let data = try Data(contentsOf: URL(fileURLWithPath: index))
        return try JSONDecoder().decode(ReferenceIndex.self, from: data)
    }

    /// Every regular file below `dir` by relative path, with its bytes (to compare two output trees byte for byte).
    public static func fileContents(under dir: String) throws -> [String: Data] {
        guard let walk = FileManager.default.enumerator(atPath: dir) else { throw Missing(description: "\(dir) cannot be listed") }
        var out: [String: Data] = [:]
        for case let path as String in walk {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: "\(dir)/\(path)", isDirectory: &isDir)
            if !isDir.boolValue { out[path] = FileManager.default.contents(atPath: "\(dir)/\(path)") }
        }
        return out
    }
}

/// The layout of `.cache/reference/index.json`.
public struct ReferenceIndex: Decodable, Sendable {
    public struct Entry: Decodable, Sendable { public let file: String; public let shape: [Int] }
    public struct Photo: Decodable, Sendable {
        public let png: String
        public let jpg: String
        public let input: Entry
        public let outputs: [String: Entry]
    }
    public let layers: [String]
    public let photos: [String: Photo]
}
