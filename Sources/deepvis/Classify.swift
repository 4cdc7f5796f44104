import ArgumentParser
import Imaging
import NeuralNetwork
import Tensors
import Visualization

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the top-5 classes of each image (JPEG or PNG).")

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Image files.")
    var images: [String]

    @Option(name: .shortAndLong, help: "How many classes to print (\(OptionRanges.text(OptionRanges.top))).")
    var top: Int = 5

    func validate() throws {
        try OptionRanges.check(top, OptionRanges.top, "--top")
    }

    func run() throws {
        let (graph, info, _) = try modelOptions.load()
        let session = Session(graph: graph, outputsOnly: true)
        let output = session.values[graph.outputs[0]]
        var failed = false
        for path in images {
            let image: RGBImage
            do { image = try ImageCodec.read(path: path) } catch {
                warn("\(error)")  // the message names the file; the other images are still classified
                failed = true
                continue
            }
            info.fill(session.input, from: info.networkView(of: image))
            session.forward()
            print(path)
            for (k, p) in topK(logits: output.array, k: top) {
                print(String(format: "  %5.1f%%  %@", Double(p * 100), info.label(k)))
            }
        }
        if failed { throw ExitCode(1) }
    }
}
