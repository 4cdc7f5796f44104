import Foundation
import NeuralNetwork
import Tensors
import Testing
import TestSupport
import Visualization

@Suite struct ObjectiveTests {
    func randomImage(seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor.random(TinyNetwork.space.shape, in: -60...60, using: &rng)
    }

    /// The objective's gradient against central differences on a few pixels (paper scale, step 0.25).
    func checkGradient(_ objective: Objective, seed: UInt64 = 1, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ev = try TinyNetwork.evaluator(objective)
        let x = randomImage(seed: seed)
        let g = try ev.evaluate(x).gradient.copy()
        var rng = SplitMix64(seed: seed + 100)
        for _ in 0..<12 {
            let i = Int.random(in: 0..<x.count, using: &rng), h: Float = 0.25, keep = x[i]
            x[i] = keep + h; let up = try ev.evaluate(x).value
            x[i] = keep - h; let down = try ev.evaluate(x).value
            x[i] = keep
            let numeric = (up - down) / (2 * h)
            // Float32 objectives: the differences carry ~ulp(value)/h of rounding noise.
            let noise = 8 * max(abs(up), abs(down)) * Float.ulpOfOne / h
            #expect(abs(numeric - g[i]) <= 2e-3 * max(abs(numeric), abs(g[i])) + noise + 1e-5,
                    "\(objective) at \(i): numeric \(numeric), analytic \(g[i])", sourceLocation: sourceLocation)
        }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let code = try ObjectiveEvaluator.code(of: "conv2", for: randomImage(seed: 9), session: Session(graph: TinyNetwork.graph()),
                                               space: TinyNetwork.space, info: nil)
        let objectives: [Objective] = [
            .logit(3), .unit("conv2", channel: 2, y: 4, x: 7), .channel("conv1", 5), .deepDream("conv2"),
            .caricature("conv2", code: code), .logProbability(1),
            Objective(name: "alpha", .alphaNorm(alpha: 6, range: 80)), Objective(name: "tv", .totalVariation(beta: 2, range: 12)),
            Objective(name: "tv1.5", .totalVariation(beta: 1.5, range: 12)), .inversion("conv2", code: code, alphaWeight: 0.1, tvWeight: 0.5),
        ]
        for o in objectives { try checkGradient(o) }
    }

    @Test func sumsAndWeightsAreLinear() throws {
        let a = Objective.logit(0), b = Objective.channel("conv1", 2), c = Objective.deepDream("conv2")
        let x = randomImage(seed: 4)
        func eval(_ o: Objective) throws -> (Float, [Float]) {
            let r = try TinyNetwork.evaluator(o).evaluate(x)
            return (r.value, r.gradient.array)
        }
        let (va, ga) = try eval(a), (vb, gb) = try eval(b), (vc, gc) = try eval(c)
        let combo = 2 * a + b - 0.5 * c
        let (v, g) = try eval(combo)
        #expect(abs(v - (2 * va + vb - 0.5 * vc)) < 1e-3 * abs(v) + 1e-4)
        for i in stride(from: 0, to: g.count, by: 7) {
            let e = 2 * ga[i] + gb[i] - 0.5 * gc[i]
            #expect(abs(g[i] - e) <= 1e-4 * abs(e) + 1e-7)
        }
        #expect(combo.terms.count == 3 && combo.name.contains("logit:0"))
    }

    @Test func unitDefaultsToTheCentreOfASpatialLayer() throws {
        let x = randomImage(seed: 2)
        let centre = try TinyNetwork.evaluator(.unit("conv2", channel: 1)).evaluate(x).value
        let explicit = try TinyNetwork.evaluator(.unit("conv2", channel: 1, y: 6, x: 6)).evaluate(x).value
        #expect(centre == explicit)
    }

    @Test func fastGradientSignMovesEachPixelByEpsilonAndRaisesTheClass() throws {
        let session = Session(graph: try TinyNetwork.graph())
        let x = randomImage(seed: 8)
        let before = try TinyNetwork.evaluator(.logProbability(4)).evaluate(x).value
        let adv = try FastGradientSign.perturb(x, classIndex: 4, epsilon: 4, toward: true, session: session, space: TinyNetwork.space)
        let after = try TinyNetwork.evaluator(.logProbability(4)).evaluate(adv).value
        #expect(after > before)
        #expect((0..<x.count).allSatisfy { abs(abs(adv[$0] - x[$0]) - 4) < 1e-4 || adv[$0] == x[$0] })
        let away = try FastGradientSign.perturb(x, classIndex: 4, epsilon: 4, toward: false, session: session, space: TinyNetwork.space)
        #expect(try TinyNetwork.evaluator(.logProbability(4)).evaluate(away).value < before)
    }

    @Test func historyPageIsSelfContainedWithASliderAndACurve() throws {
        let r = try GradientAscent(evaluator: TinyNetwork.evaluator(.logit(2)), preset: TinyNetwork.preset,
                                   iterations: 9, seed: 0, historyEvery: 4).run()
        let page = try HistoryExport.html(r.history, title: "t <x>")
        #expect(page.components(separatedBy: "data:image/png;base64,").count - 1 == r.history.count + 1)
        #expect(page.contains("type=\"range\"") && page.contains("<polyline") && page.contains("t &lt;x>"))
        #expect(!page.contains("http://") && !page.contains("https://"))
        let strip = HistoryExport.strip(r.history, cell: TinyNetwork.size)
        #expect(strip.width == r.history.count * (TinyNetwork.size + 2) + 2)
    }
}
