import Glibc
import NeuralNetwork
import Tensors

/// The probe thread's body: the selected unit's backward image on the newest snapshot.
///
/// Priority below the forward pass comes from two rules: the thread runs at a higher nice value (the
/// kernel favours the forward thread when both want a core), and it computes at most once per
/// (snapshot, selection) — so it never queues work, it only ever catches up to the newest snapshot.
/// A selection change cancels a probe at its step boundary (between the forward and backward halves).
final class ProbeLoop: @unchecked Sendable {
    private let pipeline: LivePipeline
    private var lastKey: (sequence: Int, selection: UnitSelection)?
    /// Snapshot sequence each extra unit was last probed on.
    private var done: [UnitSelection: Int] = [:]

    init(pipeline: LivePipeline) {
        self.pipeline = pipeline
    }

    func run() {
        lowerPriority(by: pipeline.configuration.probeNiceness)
        let session = Session(graph: pipeline.graph)
        while !pipeline.isStopping {
            let controls = pipeline.controls
            guard !controls.paused, controls.probing, let snapshot = pipeline.latestSnapshot,
                  let selection = next(controls, snapshot.sequence) else {
                pipeline.probeWake.wait(seconds: 1)
                continue
            }
            if selection == controls.selection { lastKey = (snapshot.sequence, selection) }
            done[selection] = snapshot.sequence
            probe(snapshot, selection, session)
        }
    }

    /// The wanted unit to probe next on snapshot `sequence`: the main selection first, then the extra one computed
    /// longest ago (so many viewers' units take turns); nil when all are up to date.
    private func next(_ controls: PipelineControls, _ sequence: Int) -> UnitSelection? {
        if lastKey.map({ $0.sequence != sequence || $0.selection != controls.selection }) ?? true {
            return controls.selection
        }
        done = done.filter { controls.extraProbes.contains($0.key) }
        return controls.extraProbes.filter { $0 != controls.selection && done[$0] != sequence }
            .min { (done[$0] ?? -1, $0.layerIndex, $0.channel) < (done[$1] ?? -1, $1.layerIndex, $1.channel) }
    }

    private func probe(_ snapshot: LayerSnapshot, _ selection: UnitSelection, _ session: Session) {
        guard pipeline.layers.indices.contains(selection.layerIndex) else { return }
        let layer = pipeline.layers[selection.layerIndex]
        guard selection.channel < layer.channels else { return }
        snapshot.inputValues.withUnsafeBufferPointer { session.input.data.update(from: $0.baseAddress!, count: session.input.count) }
        session.forward(upTo: layer.valueID)
        let controls = pipeline.controls
        guard controls.selection == selection || controls.extraProbes.contains(selection), !pipeline.isStopping else { return }
        // The same objective as the ascent's (Objective.forUnit): the centre unit (the unit itself on a 1×1 map
        // such as logits) or the channel's spatial mean.
        let seed: Seed = selection.objective == .channelMean && layer.height * layer.width > 1
            ? .channel(selection.channel, mean: true)
            : .unit(channel: selection.channel, y: layer.height / 2, x: layer.width / 2)
        let result: ProbeResult
        do {
            let gradient = try session.backward(from: layer.valueID, seed: seed, mode: selection.mode)
            let shape = gradient.shape
            result = ProbeResult(snapshotSequence: snapshot.sequence, selection: selection, values: gradient.array,
                                 width: shape.count == 4 ? shape[3] : 0, height: shape.count == 4 ? shape[2] : 0)
        } catch {
            result = ProbeResult(snapshotSequence: snapshot.sequence, selection: selection, values: [], width: 0, height: 0,
                                 error: "backward image of \(layer.name):\(selection.channel): \(error)")
        }
        pipeline.publish(result)
    }
}

/// Raises the calling thread's nice value. On Linux the nice value belongs to the thread, and `who` = 0
/// names the calling thread, so only this thread slows down (see setpriority(2), BUGS).
func lowerPriority(by niceness: Int32) {
    guard niceness > 0 else { return }
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
}
