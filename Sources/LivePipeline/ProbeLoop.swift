import NeuralNetwork
import Tensors

/// The probe thread's body: the selected unit's backward image on the newest snapshot whose activations the forward
/// thread kept (it keeps them when the probe says it will want them, `ForwardSessions.want(at:)`).
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
    /// A recent backward pass, in nanoseconds (moving average): the next wish for activations is that far ahead.
    private var passNanoseconds = MovingAverage(50e6)
    /// Snapshot sequence each extra unit was last probed on.
    private var done: [UnitSelection: Int] = [:]

    init(pipeline: LivePipeline) {
        self.pipeline = pipeline
    }

    func run() {
        lowerPriority(by: pipeline.configuration.probeNiceness)
        let gradients = GradientWorkspace()
        let sessions = pipeline.forwardSessions
        while !pipeline.isStopping {
            let controls = pipeline.controls
            guard !controls.paused, controls.probing, let latest = pipeline.latestSnapshot?.sequence else {
                sessions.want(at: .max)
                pipeline.probeWake.wait(seconds: 1)
                continue
            }
            // The newest snapshot whose activations the forward thread kept: the one on screen when frozen, else at
            // most `Self.keptLag` snapshots behind it (the forward thread keeps a frame's activations only when asked).
            guard let (sequence, frameIndex) = sessions.newest,
                  latest - sequence <= (controls.frozen ? 0 : Self.keptLag) else {
                askForActivations(sessions)
                pipeline.probeWake.wait(seconds: 0.1)
                continue
            }
            guard let selection = next(controls, sequence) else {
                if sessions.wantedAt == .max { askForActivations(sessions) }
                pipeline.probeWake.wait(seconds: 1)
                continue
            }
            if let wait = secondsToWait(before: selection, controls) {
                pipeline.probeWake.wait(seconds: wait)
                continue
            }
            lastStart = uptimeNanoseconds()
            // The next wish: when this pass should be over and the rate cap lets the next one start.
            sessions.want(at: lastStart &+ UInt64(max(passNanoseconds.value, capInterval * 1e9)))
            // When the forward thread has already overwritten the snapshot's activations, it kept a newer one: the next
            // round takes that.
            guard probe(sequence, frameIndex, selection, gradients) else { continue }
            passNanoseconds.add(Double(uptimeNanoseconds() &- lastStart))
            if selection == controls.selection { lastKey = (sequence, selection) }
            done[selection] = sequence
        }
    }

    /// How many snapshots the one probed may be behind the newest: a pass that runs a little long still finds the frame
    /// kept for it, two frames (33 ms at 60 fps) old; older than that, the probe asks for a fresh one.
    private static let keptLag = 2

    /// Asks the forward thread for a frame's activations now, unless an earlier wish is due and not yet overdue (its
    /// pass may be under way), and wakes it (it sleeps while frozen).
    private func askForActivations(_ sessions: ForwardSessions) {
        let now = uptimeNanoseconds(), wish = sessions.wantedAt
        if wish > now || now - wish > 50_000_000 { sessions.want(at: now) }
        pipeline.forwardWake.signal()
    }

    /// Seconds between pass starts at `Configuration.probeMaxFPS` (0: no cap).
    private var capInterval: Double {
        pipeline.configuration.probeMaxFPS > 0 ? 1 / pipeline.configuration.probeMaxFPS : 0
    }

    /// How long to wait before probing `selection` so the thread stays under `probeMaxFPS`; nil to go now (also when
    /// the main selection has just changed: the newly clicked unit's image should not wait).
    private func secondsToWait(before selection: UnitSelection, _ controls: PipelineControls) -> Double? {
        guard capInterval > 0, !pipeline.configuration.lossless else { return nil }
        if selection == controls.selection, lastKey.map({ $0.selection != selection }) ?? true { return nil }
        let elapsed = Double(uptimeNanoseconds() &- lastStart) / 1e9
        return elapsed < capInterval ? capInterval - elapsed : nil
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
    private func probe(_ sequence: Int, _ frameIndex: Int, _ selection: UnitSelection,
                       _ gradients: GradientWorkspace) -> Bool {
        guard pipeline.layers.indices.contains(selection.layerIndex) else { return true }
        let layer = pipeline.layers[selection.layerIndex]
        guard selection.channel < layer.channels else { return true }
        // The same objective as the ascent's (Objective.forUnit): the centre unit (the unit itself on a 1×1 map
        // such as logits) or the channel's spatial mean.
        let seed: Seed = selection.objective == .channelMean && layer.height * layer.width > 1
            ? .channel(selection.channel, mean: true)
            : .unit(channel: selection.channel, y: layer.height / 2, x: layer.width / 2)
        let outcome = pipeline.forwardSessions.withActivations(of: sequence) { session -> ProbeResult in
            do {
                let gradient = try session.backward(from: layer.valueID, seed: seed, mode: selection.mode, gradients: gradients)
                let shape = gradient.shape
                return ProbeResult(snapshotSequence: sequence, sourceFrameIndex: frameIndex, selection: selection,
                                   values: gradient.array, width: shape.count == 4 ? shape[3] : 0,
                                   height: shape.count == 4 ? shape[2] : 0)
            } catch {
                return ProbeResult(snapshotSequence: sequence, sourceFrameIndex: frameIndex, selection: selection,
                                   values: [], width: 0, height: 0,
                                   error: "backward image of \(layer.name):\(selection.channel): \(error)")
            }
        }
        guard let outcome else { return false }
        pipeline.publish(outcome)
        return true
    }
}
