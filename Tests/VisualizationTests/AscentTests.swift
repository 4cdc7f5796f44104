import Foundation
import NeuralNetwork
import Tensors
import Testing
import TestSupport
import Visualization

@Suite struct AscentTests {
    /// Plain steps (no regularizer fighting them) must climb: each predicted to gain 0.2.
    @Test(arguments: [Objective.logit(2), .unit("conv2", channel: 1), .channel("conv1", 3), .deepDream("conv2")])
    func aFewStepsRaiseTheObjective(objective: Objective) throws {
        let ev = try TinyNetwork.evaluator(objective)
        var plain = TinyNetwork.preset
        plain.regularizers = []
        let ascent = GradientAscent(evaluator: ev, preset: plain, iterations: 12, seed: 1, historyEvery: 1)
        let r = try ascent.run()
        let values = r.history.map(\.objective)
        #expect(r.history.count == 12)
        #expect(values.last! > values.first! + 1, "\(objective): \(values)")
        #expect(zip(values, values.dropFirst()).filter { $1 < $0 }.count <= 1, "\(objective): \(values)")
        #expect(r.bestObjective == r.history.map(\.objective).max())
    }

    @Test func deterministicPerSeed() throws {
        func run(_ seed: UInt64, _ preset: Preset) throws -> AscentResult {
            try GradientAscent(evaluator: TinyNetwork.evaluator(.logit(0)), preset: preset, iterations: 8, seed: seed).run()
        }
        var modern = Preset.modern
        modern.jitter = Jitter(shift: 2, scale: 0.9...1.1, degrees: 5)
        for p in [TinyNetwork.preset, modern] {
            let a = try run(5, p), b = try run(5, p), c = try run(6, p)
            #expect(a.bestTensor.array == b.bestTensor.array && a.bestObjective == b.bestObjective, "\(p.name)")
            #expect(a.bestTensor.array != c.bestTensor.array, "\(p.name)")
        }
    }

    @Test func historyHasOneEntryPerKStepsPlusTheLast() throws {
        let ascent = GradientAscent(evaluator: try TinyNetwork.evaluator(.logit(1)), preset: TinyNetwork.preset,
                                    iterations: 23, seed: 0, historyEvery: 5)
        let r = try ascent.run()
        #expect(r.history.map(\.step) == [0, 5, 10, 15, 20, 22])
        #expect(r.history.allSatisfy { $0.image.width == TinyNetwork.size && $0.image.height == TinyNetwork.size })
        #expect(r.stop == .finished)
    }

    @Test func oneNonFiniteStepIsRecoveredFrom() throws {
        let ascent = GradientAscent(evaluator: try TinyNetwork.evaluator(.logit(1)), preset: TinyNetwork.preset, iterations: 20, seed: 0)
        var injected = false
        ascent.gradientHook = { step, g in
            if step == 6 && !injected { injected = true; g[3] = .nan }
        }
        let r = try ascent.run()
        #expect(r.stop == .finished && r.recoveries == 1)
        #expect(r.bestTensor.buffer.allSatisfy(\.isFinite) && r.bestObjective.isFinite)
    }

    @Test func persistentNaNStopsWithAClearReasonAndKeepsTheBestImage() throws {
        let ascent = GradientAscent(evaluator: try TinyNetwork.evaluator(.logit(1)), preset: TinyNetwork.preset, iterations: 20, seed: 0)
        ascent.gradientHook = { step, g in if step >= 6 { g[0] = .infinity } }
        let r = try ascent.run()
        guard case let .diverged(step, message) = r.stop else { Issue.record("expected divergence, got \(r.stop)"); return }
        #expect(step == 6 && message.contains("not finite"))
        #expect(r.bestStep < 6 && r.bestObjective.isFinite && r.bestTensor.buffer.allSatisfy(\.isFinite))
    }

    @Test func cancellationStopsBeforeTheNextStep() throws {
        let ascent = GradientAscent(evaluator: try TinyNetwork.evaluator(.logit(1)), preset: TinyNetwork.preset, iterations: 50, seed: 0)
        var steps = 0
        ascent.onProgress = { _ in steps += 1 }
        ascent.shouldStop = { steps >= 3 }
        #expect(try ascent.run().stop == .cancelled(step: 3))
    }

    @Test func unknownLayerAndOutOfRangeUnitAreTheEnginesErrors() throws {
        #expect(throws: NetworkError.self) { try TinyNetwork.evaluator(.unit("nope", channel: 0)) }
        #expect(throws: NetworkError.unitOutOfRange(layer: "conv2", shape: [1, 4, 12, 12], unit: [4, 6, 6])) {
            try TinyNetwork.evaluator(.unit("conv2", channel: 4))
        }
        #expect(throws: NetworkError.unitOutOfRange(layer: "logits", shape: [1, 5], unit: [9])) { try TinyNetwork.evaluator(.logit(9)) }
    }
}
