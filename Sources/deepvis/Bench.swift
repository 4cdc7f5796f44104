import ArgumentParser
import Foundation
import NeuralNetwork
import Tensors

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the forward pass (or forward+backward); prints one JSON line. Scripts/bench-forward runs it beside the peer.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Timed runs (\(OptionRanges.text(OptionRanges.runs))).") var runs = 50
    @Option(help: "Untimed warm-up runs (\(OptionRanges.text(OptionRanges.warmup))).") var warmup = 10
    @Option(help: "Also backpropagate from the mean of this layer's channel 0 to the input.") var backwardFrom: String?
    @Option(help: "Keep this value readable as the live forward pass keeps the shown layer (repeatable); the rest still fuses.")
    var keep: [String] = []
    @Flag(help: "Keep every value, as the live forward pass does on frames the probe reads.") var keepAll = false
    @Flag(help: "Print the median time per node over --runs more passes (summed per op kind, and the slowest nodes) to stderr.") var profile = false

    func validate() throws {
        try OptionRanges.check(runs, OptionRanges.runs, "--runs")
        try OptionRanges.check(warmup, OptionRanges.warmup, "--warmup")
    }

    func run() throws {
        let (graph, _, _) = try modelOptions.load(imageInput: false)
        // Only the outputs are read unless backward is timed too: intermediate values then share buffers, as a runtime
        // that only classifies keeps them (onnxruntime plans its arena the same way).
        let session = Session(graph: graph, activationsInPlace: true, outputsOnly: backwardFrom == nil && !keepAll,
                              keeping: try keep.map { try graph.id(of: $0) })
        // Seeded: the system generator makes one getrandom call per value, a visible cost in profiles of small models.
        var rng = SeededGenerator(seed: 1)
        let input = Tensor(shape: session.input.shape, values: (0..<session.input.count).map { _ in Float.random(in: -1...1, using: &rng) })
        session.run(input)
        let seedLayer = try backwardFrom.map { try graph.id(of: $0) }
        /// Returns the milliseconds the backward part took (0 without --backward-from).
        func once() throws -> Double {
            guard let seedLayer else { session.forward(); return 0 }
            session.forward(upTo: seedLayer)
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try session.backward(from: seedLayer, seed: .channel(0, mean: true))
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        }
        for _ in 0..<warmup { _ = try once() }
        var times: [Double] = [], backward: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            backward.append(try once())
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        backward.sort()
        let q = { (p: Double) in times[min(times.count - 1, Int(p * Double(times.count)))] }
        var json = String(format: "{\"impl\":\"deepvis\",\"threads\":%d,\"median_ms\":%.3f,\"p10_ms\":%.3f,\"p90_ms\":%.3f,\"runs\":%d",
                          modelOptions.threads, q(0.5), q(0.1), q(0.9), runs)
        if backwardFrom != nil { json += String(format: ",\"backward_median_ms\":%.3f", backward[backward.count / 2]) }
        print(json + "}")
        if profile { printProfile(session) }
    }

    func printProfile(_ session: Session) {
        let t = session.profile(runs: max(runs, 20))
        var perKind: [String: Double] = [:]
        for (i, n) in session.graph.nodes.enumerated() { perKind[n.op.kind, default: 0] += t[i] }
        var err = ""
        for (k, v) in perKind.sorted(by: { $0.value > $1.value }) { err += pad(k, 20) + String(format: " %8.3f ms\n", v) }
        err += "slowest nodes:\n"
        for i in t.indices.sorted(by: { t[$0] > t[$1] }) {
            let n = session.graph.nodes[i]
            err += "  " + pad(session.graph.values[n.output].name, 28) + pad(n.op.kind, 18) + pad("\(session.graph.values[n.output].shape)", 20)
                + String(format: "%7.3f ms\n", t[i])
        }
        FileHandle.standardError.write(Data(err.utf8))
    }
}

/// Left-aligns `s` in a column of `width` characters.
func pad(_ s: String, _ width: Int) -> String { s.padding(toLength: max(width, s.count + 1), withPad: " ", startingAt: 0) }
