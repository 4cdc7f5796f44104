import Imaging
import LivePipeline
import ViewerCore
import Visualization

/// Runs a `ViewerWindow` on a `LivePipeline`: snapshots become `DisplayFrame`s, commands become pipeline controls.
///
/// Live (lossy) mode never waits: each iteration shows whatever the pipeline published last. Lossless mode
/// (headless output, tests) asks the pipeline for one new frame per iteration and waits until the snapshot for
/// it — and the selected unit's backward image — are ready, so output file k always shows source frame k.
public final class LiveViewer {
    public let pipeline: LivePipeline
    public let window: ViewerWindow
    /// The presets `ViewerState.presetIndex` cycles through (the model's catalog: built-in and manifest presets).
    public let presets: [Preset]
    /// Longest wait for one frame in lossless mode, in seconds.
    public var losslessTimeout = 60.0
    /// Seconds to wait for the source's first frame: then a headless run stops and a window shows why. nil: forever.
    public var firstFrameTimeout: Double?
    /// Why the run stopped before any frame arrived (timeout, or a source that ended first), if it did.
    public private(set) var startFailure: String?
    private var startMessageShown = false
    let layers: [LayerInfo]
    private var sequence = 0
    private var lastVersion = -1
    private var awaitingAfter: Int?
    private var needFrame = true
    private var undisplayed: LayerSnapshot?
    /// The snapshot behind the frame shown last.
    public private(set) var shownSnapshot: LayerSnapshot?
    /// Run-loop iterations, and how many of them drew a newly published frame (the display rate's numerator).
    public private(set) var iterations = 0, framesDrawn = 0
    /// Seconds `run` has been running.
    public var elapsedSeconds: Double { runStart.map { Double(uptimeNanoseconds() - $0) / 1e9 } ?? 0 }
    private var runStart: UInt64?
    /// A stored or atlas image read on the click that selected its unit, shown until the ascent thread's fuller answer.
    private var instantAscent: AscentSnapshot?
    /// The atlas unit shown last (read from disk once per selection).
    private var atlasUnit: (layer: Int, channel: Int, unit: AtlasUnit?)?

    /// Ties `window` to `pipeline` and makes the pipeline follow the window's current state.
    public init(pipeline: LivePipeline, window: ViewerWindow, presets: [Preset] = Preset.all) {
        self.pipeline = pipeline
        self.window = window
        self.presets = presets.isEmpty ? Preset.all : presets
        layers = pipeline.layers.map { LayerInfo(name: $0.name, channels: $0.channels, height: $0.height, width: $0.width) }
        window.presetNames = presets.map(\.name)
        follow(window.state)
    }

    /// Runs the window until quit or `maxFrames` iterations; `afterDraw` gets the iteration number.
    public func run(keys: [ScheduledKey] = [], maxFrames: Int? = nil, afterDraw: (Int) -> Void = { _ in }) {
        runStart = runStart ?? uptimeNanoseconds()
        window.run(keys: keys, maxFrames: maxFrames, frames: { nextFrame() }, onCommand: { command, state in
            if command == .cycleSource { pipeline.cycleSource() }
            follow(state)
        }, afterDraw: { iteration in
            if let shown = undisplayed {
                pipeline.displayed(shown)
                undisplayed = nil
            }
            needFrame = true
            iterations += 1
            afterDraw(iteration)
        })
    }

    /// The state index of `preset` in `presets` (0 if it is not one of them).
    public static func presetIndex(of preset: Preset, in presets: [Preset] = Preset.all) -> Int {
        presets.firstIndex { $0.name == preset.name } ?? 0
    }

    /// Copies the window's choices (layer, unit, backward mode, objective, preset, seed, freeze, pause) into the controls.
    public func follow(_ state: ViewerState) {
        let layerIndex = min(max(state.layerIndex, 0), layers.count - 1)
        let channel = min(max(state.selectedUnit, 0), max(layers[layerIndex].channels - 1, 0))
        pipeline.update { c in
            c.selection.layerIndex = layerIndex
            c.selection.channel = channel
            c.selection.mode = state.backwardMode
            c.selection.objective = state.channelMean ? .channelMean : .centreUnit
            c.patchBackward = state.patchesShowBackward
            if var ascent = c.ascent {
                ascent.preset = presets[min(max(state.presetIndex, 0), presets.count - 1)]
                ascent.seed = state.ascentSeed
                c.ascent = ascent
            }
            c.frozen = state.frozen
            c.paused = state.paused
        }
        // A unit the store or the atlas holds shows on the first frame drawn after the click, not when the ascent
        // thread gets to it (a store entry with its history takes about 0.1 s to read).
        let controls = pipeline.controls
        guard ![pipeline.latestAscent, instantAscent].contains(where: { $0.map { matches($0, controls) } ?? false }) else { return }
        instantAscent = pipeline.finishedImageNow(controls.selection)
        if instantAscent != nil { lastVersion = -1 }
    }

    /// Whether `ascent` is for the selected unit with the current settings.
    private func matches(_ ascent: AscentSnapshot, _ controls: PipelineControls) -> Bool {
        ascent.selection.sameUnit(as: controls.selection) && ascent.settings == controls.ascent
    }

    /// The frame to draw now, or nil if nothing changed (live mode).
    func nextFrame() -> DisplayFrame? {
        if pipeline.configuration.lossless { waitForLosslessFrame() }
        if pipeline.latestSnapshot == nil, let problem = firstFrameProblem() { return reportNoFrame(problem) }
        let version = pipeline.publishVersion
        guard version != lastVersion, let snapshot = pipeline.latestSnapshot else { return nil }
        lastVersion = version
        framesDrawn += 1
        if snapshot.sequence != shownSnapshot?.sequence { undisplayed = snapshot }
        shownSnapshot = snapshot
        return makeFrame(snapshot)
    }

    /// Lossless mode: once per iteration asks for the next source frame (unless frozen, paused or ended), then
    /// waits until the snapshot and probe match the current controls (a key may have just changed them).
    private func waitForLosslessFrame() {
        let controls = pipeline.controls
        guard !controls.paused else { return }
        if needFrame && !controls.frozen && awaitingAfter == nil {
            awaitingAfter = pipeline.latestSnapshot?.sequence ?? 0
            pipeline.requestFrame()
        }
        needFrame = false
        var timeout = losslessTimeout
        if pipeline.latestSnapshot == nil, let limit = firstFrameTimeout {
            timeout = min(timeout, max(limit - elapsedSeconds, 0))
        }
        let satisfied = pipeline.wait(timeout: timeout) {
            isReady(pipeline.controls)
                || (firstFrameTimeout != nil && pipeline.latestSnapshot == nil && pipeline.sourceStatus.phase == .ended)
        }
        if satisfied || pipeline.sourceStatus.phase == .ended { awaitingAfter = nil }
    }

    /// Before the first snapshot: why none will come (the source ended) or has come in time, else nil.
    /// Only with a `firstFrameTimeout`: without one, the run waits as it always did.
    private func firstFrameProblem() -> String? {
        guard let limit = firstFrameTimeout else { return nil }
        let status = pipeline.sourceStatus
        // The status's hints after " — " (showing the last frame, press c) do not apply when nothing was shown.
        let reason = status.message.components(separatedBy: " — ").first ?? ""
        let detail = reason.isEmpty ? "" : ": \(reason)"
        // A source that ended after capturing a frame (a one-frame video) still has that frame in flight.
        if status.phase == .ended, pipeline.statistics.capturedFrames == 0 { return "no frame from \(status.source)\(detail)" }
        guard elapsedSeconds >= limit else { return nil }
        return "no frame from \(status.source) within \(limit) s\(detail)"
    }

    /// Headless: stop the run with `problem`. Window: show it once (a camera may still come back).
    private func reportNoFrame(_ problem: String) -> DisplayFrame? {
        if window.configuration.output != .window {
            startFailure = problem
            window.apply(.quit)
            return nil
        }
        guard !startMessageShown else { return nil }
        startMessageShown = true
        return DisplayFrame(input: RGBImage(width: 0, height: 0), layers: layers, source: pipeline.sourceStatus.source,
                            status: problem)
    }

    private func isReady(_ controls: PipelineControls) -> Bool {
        guard let snapshot = pipeline.latestSnapshot else { return false }
        if let after = awaitingAfter, snapshot.sequence <= after {
            // A request the forward thread never took because the source ended will not be answered.
            let abandoned = pipeline.sourceStatus.phase == .ended && pipeline.pendingFrameRequests > 0
            guard abandoned else { return false }
        }
        guard snapshot.layerIndex == controls.selection.layerIndex else { return false }
        guard controls.probing, controls.selection.channel < pipeline.layers[controls.selection.layerIndex].channels else {
            return true
        }
        // The ascent thread's first word on the selection (a stored image, or "running") comes with the frame, so a
        // unit the store or the atlas holds shows its image on the first frame after the selection.
        if let settings = controls.ascent, pipeline.configuration.unitImages != nil {
            guard let ascent = pipeline.latestAscent, ascent.selection.sameUnit(as: controls.selection),
                  ascent.settings == settings else { return false }
        }
        guard let probe = pipeline.latestProbe else { return false }
        return probe.snapshotSequence == snapshot.sequence && probe.selection == controls.selection
    }

    /// The `DisplayFrame` for `snapshot` with the newest probe and optimizer results for the selected unit.
    func makeFrame(_ snapshot: LayerSnapshot) -> DisplayFrame {
        sequence += 1
        let status = pipeline.sourceStatus
        let statistics = pipeline.statistics
        let controls = pipeline.controls, selection = controls.selection
        var unit = UnitDetail(layerIndex: selection.layerIndex, channel: selection.channel)
        if let probe = pipeline.latestProbe, probe.selection.sameUnit(as: selection) {
            if probe.width > 0 {
                unit.backward = BackwardImage(mode: probe.selection.mode, width: probe.width, height: probe.height,
                                              values: probe.values)
            }
            unit.backwardError = probe.error
        }
        addStreamPatches(&unit, selection)
        addAtlasPatches(&unit, selection)
        if let ascent = [pipeline.latestAscent, instantAscent].compactMap({ $0 }).first(where: { matches($0, controls) }) {
            unit.optimization = Self.progress(ascent)
        }
        var frame = DisplayFrame(
            sequence: sequence, input: snapshot.input,
            labels: snapshot.top.map { LabelScore(label: $0.label, probability: $0.probability) },
            layers: layers,
            activations: [LayerActivations(layerIndex: snapshot.layerIndex, values: snapshot.activations)],
            unit: unit,
            statistics: PipelineStatistics(
                captureFPS: statistics.captureFPS, forwardFPS: statistics.forwardFPS, probeFPS: statistics.probeFPS,
                droppedFrames: statistics.droppedFrames, latencyMilliseconds: statistics.displayLatencyP50),
            source: status.source, status: [status.message, pipeline.latestNote ?? ""].filter { !$0.isEmpty }.joined(separator: " · "),
            captureUptimeNanoseconds: snapshot.captureTime)
        if let ready = pipeline.unitsReady, ready.layerIndex == selection.layerIndex {
            frame.unitsReady = "\(ready.ready) of \(ready.total) units ready"
        }
        return frame
    }

    /// This session's top patches of the selected channel (and their backward images, once computed).
    private func addStreamPatches(_ detail: inout UnitDetail, _ selection: UnitSelection) {
        guard let lists = pipeline.latestTopPatches, lists.layerIndex == selection.layerIndex,
              lists.patches.indices.contains(selection.channel) else { return }
        let patches = lists.patches[selection.channel]
        detail.topPatches = patches.map(\.crop)
        detail.topPatchActivations = patches.map(\.record.activation)
        detail.topPatchBackward = lists.backwardChannel == selection.channel ? lists.backward : []
        detail.topPatchBackwardNote = lists.backwardNote
    }

    /// The atlas's top patches (and their backward images) for the selected unit, when the atlas covers its layer.
    private func addAtlasPatches(_ detail: inout UnitDetail, _ selection: UnitSelection) {
        guard let atlas = pipeline.configuration.unitImages?.atlas,
              pipeline.layers[selection.layerIndex].name == atlas.layer else { return }
        if atlasUnit.map({ $0.layer != selection.layerIndex || $0.channel != selection.channel }) ?? true {
            atlasUnit = (selection.layerIndex, selection.channel, atlas.unit(selection.channel))
        }
        guard let found = atlasUnit?.unit else { return }
        detail.topPatches = found.patches
        detail.topPatchActivations = found.record.patches.map(\.activation)
        detail.topPatchBackward = found.backward
        detail.topPatchSource = "atlas"
        detail.topPatchBackwardNote = atlas.settings.backward
    }

    /// The unit pane's view of an ascent snapshot.
    static func progress(_ a: AscentSnapshot) -> OptimizationProgress {
        var p = OptimizationProgress(current: a.image, history: a.history.map {
            OptimizationStep(step: $0.step, image: $0.image, objective: $0.objective)
        }, running: a.phase == .running, preset: a.settings.preset.name)
        p.step = a.step
        p.iterations = a.settings.iterations
        p.objective = a.objective
        p.secondsRemaining = a.secondsRemaining
        p.target = a.selection.objective.rawValue
        p.source = a.source.rawValue
        p.error = a.error
        return p
    }
}
