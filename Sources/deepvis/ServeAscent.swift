import LivePipeline
import NeuralNetwork
import ViewerCore
import Visualization
import WebViewer

/// Adapter: the gradient-ascent job `deepvis serve`'s shared `AscentBoard` runs for one unit, on the optimizer the
/// live window's worker (LiveAscent) uses. Kept in this one file so it can be swapped for `LivePipeline`'s own
/// ascent worker when that exists.
enum ServeAscent {
    /// A board optimizing units of `layers` with `preset` for `iterations` steps, a history entry every 1/40 of them.
    static func board(graph: Graph, info: ModelInfo, layers: [PipelineLayer], preset: Preset, iterations: Int) -> AscentBoard {
        AscentBoard { unit, isCancelled, publish in
            var progress = OptimizationProgress(running: true, preset: preset.name)
            let ascent: GradientAscent
            do {
                let evaluator = try ObjectiveEvaluator(.unit(layers[unit.layerIndex].name, channel: unit.channel),
                                                       session: Session(graph: graph), space: PixelSpace(info), info: info)
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
            if isCancelled() { return }
            progress.running = false
            if let best = result?.best { progress.current = best }
            publish(progress)
        }
    }
}
