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
    private var lastPublished: (frameID: Int, layerIndex: Int, watched: Set<Int>, keptAll: Bool)?
    private var sequence = 0
    /// The session for frames the probe will not read: it keeps only the shown layers' values (`kept`), so the rest
    /// fuses and shares buffers as in `classify`. Planned again when the shown layers change.
    private var lean: (kept: [Int], session: Session)?
    /// The probe's wish (`ForwardSessions.wantedAt`) the last pass that kept every value answered.
    private var answeredWish: UInt64?
    /// A recent pass that kept every value, in nanoseconds (moving average), to start one early enough.
    private var keepAllNanoseconds = MovingAverage(15e6)
    /// The time from one pass's start to the next one's, in nanoseconds (moving average): the source's frame interval,
    /// or a pass's length when frames wait.
    private var passInterval = MovingAverage(16.7e6)
    private var lastPassStart: UInt64?

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
            let wish = pipeline.forwardSessions.wantedAt
            let keepAll = keepsAll(probing: controls.probing, wish: wish)
            guard let frame = held else {
                pipeline.forwardWake.wait(seconds: 1)
                continue
            }
            // A held frame is computed again for another layer, or (frozen) when the probe wants the activations of
            // the frame on screen and its pass did not keep them; that pass publishes nothing new.
            if let last = lastPublished, last.frameID == frame.id, last.layerIndex == layerIndex, last.watched == watched {
                guard controls.frozen && keepAll && !last.keptAll else {
                    pipeline.forwardWake.wait(seconds: 1)
                    continue
                }
                keepValues(of: frame)
            } else {
                process(frame, layerIndex: layerIndex, watched: watched, keepAll: keepAll)
            }
            if keepAll { answeredWish = wish }
            lastPublished = (frame.id, layerIndex, watched, keepAll)
        }
    }

    /// Whether the next pass keeps every value for the probe's backward: always in lossless mode (every snapshot is
    /// probed there); otherwise, once per wish, when the pass after it would end after the probe wants activations
    /// (`wish`): the kept frame is then the last one ready by that time, so the probe does not wait for one.
    private func keepsAll(probing: Bool, wish: UInt64) -> Bool {
        if pipeline.configuration.lossless { return true }
        guard probing else { return false }
        return wish != answeredWish && uptimeNanoseconds() &+ UInt64(passInterval.value + keepAllNanoseconds.value) >= wish
    }

    /// The next frame to work on, honouring freeze (frames are read and discarded) and lockstep credits.
    private func nextFrame(_ controls: PipelineControls) -> StampedFrame? {
        let frames = pipeline.frames
        if controls.frozen && held != nil {
            // Lockstep leaves the frame waiting, so unfreezing resumes exactly where it stopped.
            if !pipeline.configuration.lossless { frames.discardAll() }
            return nil
        }
        guard frames.hasItem else { return nil }
        if pipeline.configuration.lossless && !pipeline.takeCredit() { return nil }
        let now = uptimeNanoseconds(), maxAge = UInt64(pipeline.configuration.frameQueueMaxAge * 1e9)
        return frames.take { now &- $0.captureTime > maxAge }
    }

    private func process(_ frame: StampedFrame, layerIndex: Int, watched: Set<Int>, keepAll: Bool) {
        let start = uptimeNanoseconds()
        // Gaps of a pause, a freeze or a stalled source say nothing about the frame interval.
        if let last = lastPassStart, start &- last < 250_000_000 {
            passInterval.add(Double(start &- last))
        }
        lastPassStart = start
        let written = keepAll ? pipeline.forwardSessions.beginWrite() : nil
        let session = written?.session ?? leanSession(keeping: [layerIndex] + watched.sorted())
        forward(frame, in: session)
        let layer = pipeline.layers[layerIndex]
        let activations = session.values[layer.valueID].array
        sequence += 1
        let snapshot = LayerSnapshot(
            sequence: sequence, frameID: frame.id, sourceFrameIndex: frame.frame.index, captureTime: frame.captureTime,
            input: frame.view, layerIndex: layerIndex, activations: activations,
            top: topClasses(session),
            watchedActivations: Dictionary(uniqueKeysWithValues: watched.filter(pipeline.layers.indices.contains).map {
                ($0, session.values[pipeline.layers[$0].valueID].array)
            }))
        let elapsed = uptimeNanoseconds() - start
        if let written {
            pipeline.forwardSessions.endWrite(written.slot, sequence: sequence, sourceFrameIndex: frame.frame.index)
            keepAllNanoseconds.add(Double(elapsed))
        }
        pipeline.publish(snapshot, forwardNanoseconds: elapsed, keptAll: written != nil)
    }

    /// Normalizes `frame`'s view into `session`'s input and runs the whole graph.
    private func forward(_ frame: StampedFrame, in session: Session) {
        pipeline.info.fill(session.input, from: frame.view)
        session.forward()
    }

    /// Computes the last published snapshot's frame again keeping every value, under that snapshot's sequence.
    private func keepValues(of frame: StampedFrame) {
        let (slot, session) = pipeline.forwardSessions.beginWrite()
        forward(frame, in: session)
        pipeline.forwardSessions.endWrite(slot, sequence: sequence, sourceFrameIndex: frame.frame.index)
        pipeline.probeWake.signal()
    }

    /// The lean session keeping the values of `layers` (indices into `pipeline.layers`), planned when they change.
    private func leanSession(keeping layers: [Int]) -> Session {
        let kept = layers.filter(pipeline.layers.indices.contains).map { pipeline.layers[$0].valueID }
        if let lean, lean.kept == kept { return lean.session }
        lean = nil  // the old plan's buffers go before the new one's are made
        let session = Session(graph: pipeline.graph, outputsOnly: true, keeping: kept)
        lean = (kept, session)
        return session
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
