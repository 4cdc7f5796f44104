import LivePipeline
import NeuralNetwork
import Tensors
import ViewerCore
import Visualization

/// The live viewer's gradient-ascent worker: optimizes the selected unit in the background and
/// publishes each history image as it is recorded, so the unit pane shows the image growing.
enum LiveAscent {
    /// Registers the worker with the pipeline (before `start()`) and returns the box the viewer reads.
    static func attach(to pipeline: LivePipeline, graph: Graph, info: ModelInfo, preset: Preset,
                       iterations: Int) -> LatestValue<UnitWork<OptimizationProgress>> {
        let layers = pipeline.layers
        return pipeline.addUnitWorker(name: "ascent") { selection, isCancelled, publish in
            let layer = layers[selection.layerIndex].name
            // A session of its own per unit: the forward and probe threads own theirs.
            let session = Session(graph: graph)
            var progress = OptimizationProgress(running: true, preset: preset.name)
            let ascent: GradientAscent
            do {
                let evaluator = try ObjectiveEvaluator(.unit(layer, channel: selection.channel), session: session,
                                                       space: PixelSpace(info), info: info)
                ascent = GradientAscent(evaluator: evaluator, preset: preset, iterations: iterations, seed: 0,
                                        historyEvery: max(1, iterations / 40))
            } catch {
                progress.running = false
                publish(progress)
                return
            }
            ascent.shouldStop = isCancelled
            ascent.onHistory = { entry in
                progress.history.append(OptimizationStep(step: entry.step, image: entry.image, objective: entry.objective))
                progress.current = entry.image
                publish(progress)
            }
            publish(progress)
            let result = try? ascent.run()
            progress.running = false
            if let best = result?.best { progress.current = best }
            publish(progress)
        }
    }
}
