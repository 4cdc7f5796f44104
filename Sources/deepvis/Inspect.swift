import ArgumentParser
import Foundation
import NeuralNetwork

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the model's layers: name, op, output shape, parameters, multiply-adds.")

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let (graph, info, path) = try modelOptions.load(imageInput: false)
        print("\(info.name) (\(path)): input \(graph.values[graph.inputs[0]].shape), \(graph.nodes.count) nodes")
        let rows = graph.nodes.map { n -> (String, String, String, Int, Int) in
            let params = n.inputs.compactMap { graph.values[$0].constant?.count }.reduce(0, +)
            let macs = n.op.multiplyAdds(inputs: n.inputs.map { graph.values[$0].shape }, output: graph.values[n.output].shape)
            return (graph.values[n.output].name, n.op.kind, graph.values[n.output].shape.map(String.init).joined(separator: "×"), params, macs)
        }
        let w = max(5, rows.map(\.0.count).max() ?? 0)
        print("\("layer".padding(toLength: w, withPad: " ", startingAt: 0))  op                 output            params      MACs")
        for r in rows {
            print("\(r.0.padding(toLength: w, withPad: " ", startingAt: 0))  \(r.1.padding(toLength: 17, withPad: " ", startingAt: 0))  \(r.2.padding(toLength: 16, withPad: " ", startingAt: 0))  \(String(format: "%8d  %10d", r.3, r.4))")
        }
        let params = rows.map(\.3).reduce(0, +), macs = rows.map(\.4).reduce(0, +)
        print(String(format: "total: %d parameters, %.1f M multiply-adds (%.0f MFLOP) per image", params, Double(macs) / 1e6, 2 * Double(macs) / 1e6))
    }
}
