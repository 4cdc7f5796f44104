import Foundation
import NeuralNetwork
import Visualization

/// How many units of a layer the store holds for the current settings (a boxed tuple for `LatestValue`).
struct UnitsReady: Sendable {
    var counts: (layerIndex: Int, ready: Int, total: Int)
}

/// The prefetch thread's body: while the user is idle and the selected unit is finished, optimizes the shown layer's
/// other units into the store, most active on the newest frame first, so the next click is likely instant.
///
/// It runs at nice 19 (below every other thread) and yields to the forward pass like the ascent thread does; any
/// control change or a running ascent cancels its run at the next step. It also counts the units ready in the store.
final class PrefetchLoop: @unchecked Sendable {
    private let pipeline: LivePipeline
    private let wake = WakeUp()
    /// Units that failed (never retried this session), by store key name.
    private var failed: Set<String> = []

    init(pipeline: LivePipeline) {
        self.pipeline = pipeline
        pipeline.registerWake(wake)
    }

    func run() {
        lowerPriority(by: 19)
        while !pipeline.isStopping {
            let controls = pipeline.controls
            guard let store = pipeline.configuration.unitImages?.store, let settings = controls.ascent else {
                wake.wait(seconds: 1)
                continue
            }
            let layerIndex = controls.selection.layerIndex
            let units = (0..<pipeline.layers[layerIndex].channels).map {
                var s = controls.selection
                s.channel = $0
                return s
            }
            let missing = units.filter { !store.contains(pipeline.unitImageKey($0, settings).1) }
            pipeline.readiness.publish(UnitsReady(counts: (layerIndex, units.count - missing.count, units.count)))
            guard isIdle(controls), let next = mostActive(missing, layerIndex: layerIndex) else {
                wake.wait(seconds: 1)
                continue
            }
            optimize(next, settings, store: store, started: controls)
        }
    }

    /// The user has not acted for a while and the selected unit is not being optimized.
    private func isIdle(_ controls: PipelineControls) -> Bool {
        let quiet = Double(uptimeNanoseconds() - pipeline.controlsChangedAt.load(ordering: .relaxed)) / 1e9
        return quiet >= pipeline.configuration.prefetchIdleSeconds && pipeline.latestAscent?.phase != .running
            && !controls.paused
    }

    /// The unit among `candidates` with the strongest activation on the newest frame of the layer.
    private func mostActive(_ candidates: [UnitSelection], layerIndex: Int) -> UnitSelection? {
        let open = candidates.filter { !failed.contains(pipeline.unitImageKey($0, pipeline.controls.ascent!).1.name) }
        guard let snapshot = pipeline.latestSnapshot, snapshot.layerIndex == layerIndex else { return open.first }
        let layer = pipeline.layers[layerIndex], plane = layer.height * layer.width
        func peak(_ c: Int) -> Float { snapshot.activations[(c * plane)..<((c + 1) * plane)].max() ?? -.infinity }
        return open.max { peak($0.channel) < peak($1.channel) }
    }

    private func optimize(_ selection: UnitSelection, _ settings: AscentSettings, store: UnitImageStore, started: PipelineControls) {
        let (objective, key) = pipeline.unitImageKey(selection, settings)
        pipeline.optimizerSession.withSession { session in
            do {
                let evaluator = try ObjectiveEvaluator(objective, session: session, space: PixelSpace(pipeline.info), info: pipeline.info)
                let ascent = GradientAscent(evaluator: evaluator, preset: settings.preset, iterations: settings.iterations,
                                            seed: settings.seed, historyEvery: settings.historyEvery)
                var curve: [Float] = []
                ascent.shouldStop = { [self] in
                    pipeline.isStopping || pipeline.controls != started || pipeline.latestAscent?.phase == .running
                }
                ascent.onProgress = { [self] in
                    curve.append($0.objective)
                    pipeline.yieldToForward()
                }
                let result = try ascent.run()
                guard case .finished = result.stop else {
                    if case .diverged = result.stop { failed.insert(key.name) }
                    return
                }
                try store.save(key, preset: settings.preset, best: result.best, seen: result.bestAsSeen, history: result.history,
                               curve: curve, bestObjective: result.bestObjective, bestStep: result.bestStep)
                pipeline.prefetched.add(1, ordering: .relaxed)
            } catch {
                failed.insert(key.name)
                pipeline.note("prefetch of \(objective.name): \(error)")
            }
        }
    }
}
