import NeuralNetwork
import Tensors
import Visualization

/// The forward thread's body: newest frame → network input → full forward pass → `LayerSnapshot`.
///
/// Only the selected layer's activations are copied into the snapshot (copying every layer every frame
/// would cost more than it shows); a layer switch therefore takes effect on the next pass — at once when
/// frozen, because the held frame is recomputed whenever the wanted layer differs from the last published one.
final class ForwardLoop: @unchecked Sendable {
    private let pipeline: LivePipeline
    /// Owned by the forward thread only.
    private var held: StampedFrame?
    private var lastPublished: (frameID: Int, layerIndex: Int, watched: Set<Int>)?
    private var sequence = 0

    init(pipeline: LivePipeline) {
        self.pipeline = pipeline
    }

    func run() {
        while !pipeline.isStopping {
            let controls = pipeline.controls
            if controls.paused {
                pipeline.forwardWake.wait(seconds: 1)
                continue
            }
            if let frame = nextFrame(controls) { held = frame }
            let layerIndex = controls.selection.layerIndex
            let watched = controls.watchedLayers.subtracting([layerIndex])
            guard let frame = held,
                  lastPublished.map({ $0.frameID != frame.id || $0.layerIndex != layerIndex || $0.watched != watched }) ?? true
            else {
                pipeline.forwardWake.wait(seconds: 1)
                continue
            }
            process(frame, layerIndex: layerIndex, watched: watched)
            lastPublished = (frame.id, layerIndex, watched)
        }
    }

    /// The next frame to work on, honouring freeze (frames are read and discarded) and lockstep credits.
    private func nextFrame(_ controls: PipelineControls) -> StampedFrame? {
        let frames = pipeline.frames
        if controls.frozen && held != nil {
            // Lockstep leaves the frame waiting, so unfreezing resumes exactly where it stopped.
            if !pipeline.configuration.lossless { _ = frames.take() }
            return nil
        }
        guard frames.hasItem else { return nil }
        if pipeline.configuration.lossless && !pipeline.takeCredit() { return nil }
        return frames.take()
    }

    private func process(_ frame: StampedFrame, layerIndex: Int, watched: Set<Int>) {
        let start = uptimeNanoseconds()
        let (slot, session) = pipeline.forwardSessions.beginWrite()
        let info = pipeline.info
        let view = info.networkView(of: frame.frame.image)
        info.fill(session.input, from: view)
        session.forward()
        let layer = pipeline.layers[layerIndex]
        let activations = session.values[layer.valueID].array
        sequence += 1
        let snapshot = LayerSnapshot(
            sequence: sequence, frameID: frame.id, sourceFrameIndex: frame.frame.index, captureTime: frame.captureTime,
            input: view, layerIndex: layerIndex, activations: activations,
            top: topClasses(session),
            watchedActivations: Dictionary(uniqueKeysWithValues: watched.filter(pipeline.layers.indices.contains).map {
                ($0, session.values[pipeline.layers[$0].valueID].array)
            }))
        pipeline.forwardSessions.endWrite(slot, sequence: sequence)
        pipeline.publish(snapshot, forwardNanoseconds: uptimeNanoseconds() - start)
    }

    /// Top-5 of the graph's output when it is a class vector.
    private func topClasses(_ session: Session) -> [ClassScore] {
        guard let output = pipeline.graph.outputs.first else { return [] }
        let logits = session.values[output]
        guard logits.shape.count == 2, logits.count > 1 else { return [] }
        return topK(logits: logits.array, k: 5).map {
            ClassScore(index: $0.index, label: pipeline.info.label($0.index), probability: $0.probability)
        }
    }
}
