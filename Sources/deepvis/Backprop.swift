import ArgumentParser
import Foundation
import Imaging
import NeuralNetwork
import Tensors
import Visualization

extension BackwardMode: ExpressibleByArgument {}
extension GradientRendering: ExpressibleByArgument {}

struct Backprop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the gradient, deconvnet or guided-backprop image of a unit for one image.",
        discussion: """
        --unit C backpropagates channel C weighted by its own activations; --unit C,Y,X one spatial position of it.
        --top K instead writes the K most active channels of the layer, one PNG each plus a contact sheet.
        """)

    @OptionGroup var modelOptions: ModelOptions
    @Argument(help: "A JPEG or PNG image.") var image: String
    @Option(help: "Layer name (see `deepvis inspect`).") var layer: String
    @Option(help: "Unit: C or C,Y,X.") var unit: String?
    @Option(help: "gradient, deconvnet or guided.") var mode: BackwardMode = .guided
    @Option(help: "raw, gray, norm or normblur.") var render: GradientRendering = .raw
    @Option(help: "Output PNG (with --top: a directory).") var out: String
    @Option(help: "Write the K most active channels instead of one unit (\(OptionRanges.text(OptionRanges.top))).") var top: Int?

    func validate() throws {
        if unit == nil && top == nil { throw ValidationError("give --unit C[,Y,X] or --top K") }
        if let unit, UnitAddress(unit) == nil { throw ValidationError("--unit '\(unit)': expected C or C,Y,X with non-negative integers") }
        if let top { try OptionRanges.check(top, OptionRanges.top, "--top") }
    }

    func run() throws {
        let (graph, info, _) = try modelOptions.load()
        let picture = try ImageCodec.read(path: image)
        let layerID = try info.layerID(layer, in: graph)
        let session = Session(graph: graph)
        session.input.assign(info.inputTensor(for: picture))
        let w = info.inputWidth, h = info.inputHeight
        if let top {
            session.forward(upTo: layerID)
            let channels = session.mostActiveChannels(layer: layerID, count: top)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            var images: [RGBImage] = []
            for (c, peak) in channels {
                let g = try session.backwardImage(layer: layerID, unit: UnitAddress(channel: c), mode: mode)
                let img = render.render(g, width: w, height: h)
                try img.writePNG(to: "\(out)/\(layer)-\(c)-\(mode.rawValue)-\(render.rawValue).png")
                images.append(img)
                print(String(format: "channel %4d  max activation %8.3f", c, Double(peak)))
            }
            try ContactSheet.make(images).writePNG(to: "\(out)/\(layer)-top\(top)-\(mode.rawValue)-\(render.rawValue).png")
            print("wrote \(images.count) images and a contact sheet to \(out)/")
        } else {
            let u = UnitAddress(unit!)!
            let g = try session.backwardImage(layer: layerID, unit: u, mode: mode)
            try render.render(g, width: w, height: h).writePNG(to: out)
            print("wrote \(out) (\(layer) unit \(u), \(mode.rawValue), \(render.rawValue))")
        }
    }
}
