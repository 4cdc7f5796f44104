import ArgumentParser
import Foundation
import Network
import ONNXImport
import Tensors

/// Options shared by every command that runs a network.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "An ONNX CNN file (default: Models/efficientnet-lite0.onnx, fetched by Scripts/fetch-model).")
    var model: String?

    @Option(name: .customLong("threads"), help: "Compute threads, 1–64 (OpenBLAS and our own loops; default 2, `live`: 1 per pipeline thread).")
    var threadCount: Int?

    /// --threads, or 2: the batch commands' default (`live` runs several threads and defaults to 1).
    var threads: Int { threadCount ?? 2 }

    func validate() throws {
        try OptionRanges.check(threadCount ?? 2, 1...64, "--threads")
    }

    /// The model path: --model, $DEEPVIS_MODEL, or the default model found beside the current directory or the executable.
    func modelPath() throws -> String {
        if let model { return model }
        if let env = ProcessInfo.processInfo.environment["DEEPVIS_MODEL"] { return env }
        let name = "Models/efficientnet-lite0.onnx"
        var candidates = [FileManager.default.currentDirectoryPath]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 { candidates.append(dir.path); dir.deleteLastPathComponent() }
        for c in candidates where FileManager.default.fileExists(atPath: c + "/" + name) { return c + "/" + name }
        throw ValidationError("the default model is missing: run Scripts/fetch-model (or pass --model FILE)")
    }

    /// Loads the graph and its manifest, and applies the thread count.
    func load() throws -> (graph: Graph, info: ModelInfo, path: String) {
        Parallel.threads = threads
        let path = try modelPath()
        let model = try ONNXModel.load(path: path)
        return (model.graph, try ModelInfo.forModel(at: path, graph: model.graph), path)
    }
}

/// Prints a user-facing error without a stack trace and exits non-zero.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("deepvis: \(message)\n".utf8))
    exit(1)
}
