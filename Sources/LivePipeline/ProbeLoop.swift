import Glibc
import NeuralNetwork
import Tensors

/// The probe thread's body: the selected unit's backward image on the newest snapshot.
///
/// The backward pass runs over the activations the forward thread computed for that snapshot (`ForwardSessions`),
/// with this thread's own gradient buffers: no second forward pass. Priority below the forward pass comes from two
/// rules: the thread runs at a higher nice value (the kernel favours the forward thread when both want a core), and
/// it computes at most once per (snapshot, selection) — so it never queues work, it only ever catches up to the
/// newest snapshot. It also starts at most `Configuration.probeMaxFPS` passes a second, except for a newly selected unit.
final class ProbeLoop: @unchecked Sendable {
    private let pipeline: LivePipeline
    private var lastKey: (sequence: Int, selection: UnitSelection)?
    /// When the last backward pass started (uptime nanoseconds), for `Configuration.probeMaxFPS`.
    private var lastStart: UInt64 = 0
    /// Snapshot sequence each extra unit was last probed on.
    private var done: [UnitSelection: Int] = [:]

    init(pipeline: LivePipeline) {
        self.pipeline = pipeline
    }

    func run() {
        lowerPriority(by: pipeline.configuration.probeNiceness)
        let gradients = GradientWorkspace()
        while !pipeline.isStopping {
            let controls = pipeline.controls
            guard !controls.paused, controls.probing, let snapshot = pipeline.latestSnapshot,
                  let selection = next(controls, snapshot.sequence) else {
                pipeline.probeWake.wait(seconds: 1)
                continue
            }
            if let wait = secondsToWait(before: selection, controls) {
                pipeline.probeWake.wait(seconds: wait)
                continue
            }
            lastStart = uptimeNanoseconds()
            // When the forward thread has already overwritten the snapshot's activations, a newer snapshot is out:
            // the next round takes that one.
            guard probe(snapshot, selection, gradients) else {
                if pipeline.latestSnapshot?.sequence == snapshot.sequence { pipeline.probeWake.wait(seconds: 0.01) }
                continue
            }
            if selection == controls.selection { lastKey = (snapshot.sequence, selection) }
            done[selection] = snapshot.sequence
        }
    }

    /// How long to wait before probing `selection` so the thread stays under `probeMaxFPS`; nil to go now (also when
    /// the main selection has just changed: the newly clicked unit's image should not wait).
    private func secondsToWait(before selection: UnitSelection, _ controls: PipelineControls) -> Double? {
        let maxFPS = pipeline.configuration.probeMaxFPS
        guard maxFPS > 0, !pipeline.configuration.lossless else { return nil }
        if selection == controls.selection, lastKey.map({ $0.selection != selection }) ?? true { return nil }
        let elapsed = Double(uptimeNanoseconds() &- lastStart) / 1e9, interval = 1 / maxFPS
        return elapsed < interval ? interval - elapsed : nil
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

    /// False when the snapshot's activations are gone.
    private func probe(_ snapshot: LayerSnapshot, _ selection: UnitSelection, _ gradients: GradientWorkspace) -> Bool {
        guard pipeline.layers.indices.contains(selection.layerIndex) else { return true }
        let layer = pipeline.layers[selection.layerIndex]
        guard selection.channel < layer.channels else { return true }
        // The same objective as the ascent's (Objective.forUnit): the centre unit (the unit itself on a 1×1 map
        // such as logits) or the channel's spatial mean.
        let seed: Seed = selection.objective == .channelMean && layer.height * layer.width > 1
            ? .channel(selection.channel, mean: true)
            : .unit(channel: selection.channel, y: layer.height / 2, x: layer.width / 2)
        let outcome = pipeline.forwardSessions.withActivations(of: snapshot.sequence) { session -> ProbeResult in
            do {
                let gradient = try session.backward(from: layer.valueID, seed: seed, mode: selection.mode, gradients: gradients)
                let shape = gradient.shape
                return ProbeResult(snapshotSequence: snapshot.sequence, selection: selection, values: gradient.array,
                                   width: shape.count == 4 ? shape[3] : 0, height: shape.count == 4 ? shape[2] : 0)
            } catch {
                return ProbeResult(snapshotSequence: snapshot.sequence, selection: selection, values: [], width: 0, height: 0,
                                   error: "backward image of \(layer.name):\(selection.channel): \(error)")
            }
        }
        guard let outcome else { return false }
        pipeline.publish(outcome)
        return true
    }
}

/// Raises the calling thread's nice value. On Linux the nice value belongs to the thread, and `who` = 0
/// names the calling thread, so only this thread slows down (see setpriority(2), BUGS).
func lowerPriority(by niceness: Int32) {
    guard niceness > 0 else { return }
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
}
