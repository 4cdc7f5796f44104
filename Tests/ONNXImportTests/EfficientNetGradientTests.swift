import Imaging
import NeuralNetwork
import ONNXImport
import Tensors
import TestSupport
import Testing
import Visualization

/// Backward through the real model: finite differences, and where guided backprop puts its energy.
@Suite struct EfficientNetGradientTests {
    static let model = Result { try ONNXModel.load(path: Fixtures.defaultModel) }

    @Test func inputGradientMatchesFiniteDifferences() throws {
        let graph = try Self.model.get().graph
        let s = Session(graph: graph)
        var rng = SplitMix64(seed: 21)
        s.input.assign(Tensor.random(s.input.shape, in: -1...1, using: &rng))
        let layer = try graph.id(of: "blocks.8")
        let channel = 5
        func objective() -> Double {
            s.forward(upTo: layer)
            let v = s.values[layer], plane = v.shape[2] * v.shape[3]
            return (0..<plane).reduce(0.0) { $0 + Double(v[channel * plane + $1]) } / Double(plane)
        }
        _ = objective()
        let analytic = try s.backward(from: layer, seed: .channel(channel, mean: true)).copy()
        // Central differences one pixel at a time, at pixels with a large gradient (where the float32
        // rounding of the forward pass is small beside the signal). The network is piecewise linear, so a
        // difference that straddles a ReLU6 kink is a secant, not a tangent: judge by the median and a loose max.
        let peak = Double(abs(analytic[order(analytic)]))
        let strong = (0..<analytic.count).filter { Double(abs(analytic[$0])) > 0.3 * peak }
        #expect(strong.count >= 16)
        var errors: [Double] = []
        for i in strong.shuffled(using: &rng).prefix(16) {
            let x0 = s.input[i], h: Float = 2e-3
            s.input[i] = x0 + h
            let up = objective()
            s.input[i] = x0 - h
            let down = objective()
            s.input[i] = x0
            let numeric = (up - down) / Double(2 * h)
            errors.append(abs(numeric - Double(analytic[i])) / peak)
        }
        errors.sort()
        print("EfficientNet-Lite0 input gradient vs finite differences at 16 pixels: median error \(errors[8]), max \(errors[15]) (relative to the largest gradient)")
        #expect(errors[8] < 0.01)
        #expect(errors[15] < 0.05)
    }

    /// The index of the largest-magnitude element.
    func order(_ t: Tensor) -> Int { (0..<t.count).max { abs(t[$0]) < abs(t[$1]) }! }

    @Test func guidedBackpropOfCatClassLandsOnTheCat() throws {
        let graph = try Self.model.get().graph
        let info = try ModelInfo.forModel(at: Fixtures.defaultModel, graph: graph)
        // A cat pasted onto a coffee background: the cat's region is known by construction.
        let side = 144
        let background = try ImageCodec.read(path: Fixtures.photosDir + "/coffee.png").fitted(width: 224, height: 224, mode: .centreCrop)
        let cat = try ImageCodec.read(path: Fixtures.photosDir + "/chelsea.png").fitted(width: side, height: side, mode: .centreCrop)
        let (x0, y0) = (64, 40)
        var composite = background
        for y in 0..<side {
            for x in 0..<side {
                for c in 0..<3 { composite.pixels[((y0 + y) * 224 + x0 + x) * 3 + c] = cat.pixels[(y * side + x) * 3 + c] }
            }
        }
        let s = Session(graph: graph)
        info.fill(s.input, from: composite)
        let logits = try graph.id(of: "logits")
        s.forward(upTo: logits)
        let catClasses = 281...285   // tabby, tiger cat, Persian, Siamese, Egyptian cat
        let best = catClasses.max { s.values[logits][$0] < s.values[logits][$1] }!
        let top5 = topK(logits: s.values[logits].array, k: 5).map(\.index)
        #expect(top5.contains(best), "a cat class should be in the top 5 of the composite: \(top5)")
        let g = try s.backward(from: logits, seed: .unit(channel: best, y: 0, x: 0), mode: .guided)
        var inside = 0.0, outside = 0.0
        for y in 0..<224 {
            for x in 0..<224 {
                let n = (0..<3).reduce(0.0) { $0 + Double(g[($1 * 224 + y) * 224 + x] * g[($1 * 224 + y) * 224 + x]) }.squareRoot()
                if (x0..<(x0 + side)).contains(x) && (y0..<(y0 + side)).contains(y) { inside += n } else { outside += n }
            }
        }
        let density = (inside / Double(side * side)) / (outside / Double(224 * 224 - side * side))
        print("guided backprop of class \(info.label(best)): \(String(format: "%.0f%%", 100 * inside / (inside + outside))) of the energy on the cat (\(100 * side * side / (224 * 224))% of the area); density ratio \(density)")
        #expect(inside > outside, "more of the energy should be on the cat than off it")
        #expect(density > 2)
    }
}
