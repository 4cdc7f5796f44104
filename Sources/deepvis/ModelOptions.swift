import ArgumentParser
import Foundation
import NeuralNetwork
import ONNXImport
import Tensors

/// Options shared by every command that runs a network.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "An ONNX CNN file (default: Models/efficientnet-lite0.onnx, fetched by Scripts/fetch-model).")
    var model: String?

    @Option(name: .customLong("threads"), help: "Compute threads, 1–64 (OpenBLAS and our own loops; default 2, `live`: 1 per pipeline thread).")
    var threadCount: Int?

    @Option(name: .long, help: ArgumentHelp("Refuse a model whose tensors or plan need more memory than this (e.g. 512M, 4G; default: half the RAM).",
                                            valueName: "size"))
    var maxMemory: String?

    /// The --max-memory limit in bytes, or the default.
    var memoryLimit: Int { maxMemory.flatMap(MemoryLimit.parse) ?? MemoryLimit.defaultBytes }

    /// --threads, or 2: the batch commands' default (`live` runs several threads and defaults to 1).
    var threads: Int { threadCount ?? 2 }

    func validate() throws {
        try OptionRanges.check(threadCount ?? 2, 1...64, "--threads")
        if let maxMemory, MemoryLimit.parse(maxMemory) == nil {
            throw ValidationError("--max-memory '\(maxMemory)': expected a positive size such as 512M or 4G")
        }
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

    /// Loads the graph and its manifest, and applies the thread count. With `imageInput` (every command
    /// that feeds it pictures), the model must take one RGB image, planned at the manifest's size.
    func load(imageInput: Bool = true) throws -> (graph: Graph, info: ModelInfo, path: String) {
        checkAddressSpace(threads: threads)
        Parallel.threads = threads
        let path = try modelPath()
        var graph = try ONNXModel.load(path: path, memoryLimit: memoryLimit).graph
        let info = try ModelInfo.forModel(at: path, graph: graph)
        if imageInput { try info.fitImageInput(&graph) }
        return (graph, info, path)
    }
}

/// Exits with the reason when the address-space limit is too low for `threads` computing threads (a hang otherwise).
func checkAddressSpace(threads: Int) {
    if let problem = MemoryLimit.addressSpaceProblem(threads: threads) { fail(problem) }
}

/// Prints a user-facing error without a stack trace and exits non-zero.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("deepvis: \(message)\n".utf8))
    exit(1)
}
