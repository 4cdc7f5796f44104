import Foundation
import Imaging
import NeuralNetwork
import Synchronization
import Visualization

/// How the live gradient ascent runs; part of `PipelineControls`, so any change restarts the run.
public struct AscentSettings: Sendable, Equatable {
    /// The regularizer recipe (`Preset.all`).
    public var preset: Preset
    /// Steps per unit.
    public var iterations: Int
    /// Seed of the start image and the jitter; a new seed restarts the run from another start.
    public var seed: UInt64

    /// `preset` for `iterations` steps (default: the preset's own), starting from `seed`.
    public init(preset: Preset, iterations: Int? = nil, seed: UInt64 = 0) {
        self.preset = preset
        self.iterations = iterations ?? preset.iterations
        self.seed = seed
    }

    /// History entries recorded per run: the viewer's slider has about this many stops.
    public var historyEvery: Int { max(1, iterations / 40) }
}

/// Where a unit's optimized image came from.
public enum UnitImageSource: String, Sendable, Equatable, CaseIterable {
    /// Computed in this session by the ascent thread.
    case computed
    /// Read from the unit-image store (a finished run of an earlier session or of `deepvis optimize`).
    case store
    /// Read from a `deepvis atlas` output given with `--atlas`.
    case atlas
}

/// Where finished unit images are looked up before the ascent computes one (DESIGN §8): the store, then an atlas.
public struct UnitImageLookup: Sendable {
    /// Finished optimizations on disk; the ascent thread also saves every run it finishes here.
    public var store: UnitImageStore?
    /// sha256 of the model file: the first part of every store key.
    public var modelSHA256: String
    /// A `deepvis atlas` output; it serves units of its layer for the centre-unit objective when the preset and seed match.
    public var atlas: AtlasReader?

    /// A lookup in `store` (keys for the model with `modelSHA256`), then in `atlas`.
    public init(store: UnitImageStore?, modelSHA256: String, atlas: AtlasReader?) {
        self.store = store
        self.modelSHA256 = modelSHA256
        self.atlas = atlas
    }
}

/// Where a live gradient ascent stands.
public enum AscentPhase: String, Sendable, Equatable {
    case running, finished
    /// The selection or the settings changed before the run finished.
    case cancelled
    /// The objective could not be set up or the run diverged; `AscentSnapshot.error` says why.
    case failed
}

/// The live gradient ascent of one unit, published after every step: an immutable value the UI reads freely.
public struct AscentSnapshot: Sendable {
    /// The unit (and objective) optimized; the UI shows the snapshot only while this is still selected.
    public var selection: UnitSelection
    public var settings: AscentSettings
    /// The objective's name, e.g. "blocks.15:3" or "logit:281" (as in `deepvis optimize` file names).
    public var objectiveName: String
    public var phase: AscentPhase
    /// Steps done so far (`settings.iterations` once finished).
    public var step: Int
    /// The objective at the newest step; nil before the first.
    public var objective: Float?
    /// The objective at every step so far.
    public var curve: [Float]
    /// The newest history image while running; the best image once finished.
    public var image: RGBImage?
    /// The best image as the network saw it (finished runs).
    public var seen: RGBImage?
    /// Images recorded every `settings.historyEvery` steps (and at the last step), oldest first.
    public var history: [HistoryEntry]
    /// Why the run failed, in plain words; nil unless `phase == .failed`.
    public var error: String?
    public var source: UnitImageSource
    /// Steps per second so far (0 before the first step).
    public var stepsPerSecond: Double
    /// Seconds from the start of the run to now (running) or to its end; for a stored or atlas image, the load time.
    public var elapsedSeconds: Double

    /// Seconds left at the current rate while running; nil otherwise.
    public var secondsRemaining: Double? {
        guard phase == .running, stepsPerSecond > 0 else { return nil }
        return Double(settings.iterations - step) / stepsPerSecond
    }
}

/// The ascent thread's body: gradient ascent of the selected unit, restarted whenever the unit or the settings change.
///
/// Outside lossless mode it runs at nice 19 (`Configuration.ascentNiceness`), so it takes the CPU time the live
/// threads leave: nearly all of it while the picture is paused or frozen, a good moment to watch it finish (it
/// ignores pause and freeze: the ascent does not read frames), and still a little when they want every core, so it
/// never stops. It also sleeps `Configuration.ascentYieldSeconds` after a step while frames arrive but the forward
/// pass keeps less than `Configuration.forwardFloorFraction` of them. In lossless mode it keeps the forward thread's
/// priority and never sleeps: nothing is live there.
final class AscentLoop: @unchecked Sendable {
    private let pipeline: LivePipeline
    private let wake = WakeUp()
    private var lastRun: (selection: UnitSelection, settings: AscentSettings)?

    init(pipeline: LivePipeline) {
        self.pipeline = pipeline
        pipeline.registerWake(wake)
    }

    func run() {
        if !pipeline.configuration.lossless { lowerPriority(by: pipeline.configuration.ascentNiceness) }
        // getpriority with `who` = 0 reads the calling thread's own nice value on Linux (see lowerPriority).
        errno = 0
        let nice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        if errno == 0 { pipeline.ascentNice.store(nice, ordering: .relaxed) }
        while !pipeline.isStopping {
            let controls = pipeline.controls
            guard let settings = controls.ascent,
                  lastRun.map({ !$0.selection.sameUnit(as: controls.selection) || $0.settings != settings }) ?? true else {
                wake.wait(seconds: 1)
                continue
            }
            lastRun = (controls.selection, settings)
            optimize(controls.selection, settings)
        }
    }

    /// True once the thread should give up the current run.
    private func cancelled(_ selection: UnitSelection, _ settings: AscentSettings) -> Bool {
        let controls = pipeline.controls
        return pipeline.isStopping || !controls.selection.sameUnit(as: selection) || controls.ascent != settings
    }

    private func optimize(_ selection: UnitSelection, _ settings: AscentSettings) {
        let (objective, key) = pipeline.unitImageKey(selection, settings)
        var snapshot = AscentSnapshot(selection: selection, settings: settings, objectiveName: objective.name, phase: .running,
                                      step: 0, objective: nil, curve: [], image: nil, seen: nil, history: [], error: nil,
                                      source: .computed, stepsPerSecond: 0, elapsedSeconds: 0)
        if let found = pipeline.finishedImage(key, snapshot, withHistory: true) { return pipeline.publish(found) }
        let start = uptimeNanoseconds()
        func elapsed() -> Double { Double(uptimeNanoseconds() - start) / 1e9 }
        pipeline.publish(snapshot)
        // A prefetch run holding the session sees this run's `.running` snapshot and lets go at its next step.
        pipeline.optimizerSession.withSession { session in
            do {
                let evaluator = try ObjectiveEvaluator(objective, session: session, space: PixelSpace(pipeline.info),
                                                       info: pipeline.info)
                let ascent = GradientAscent(evaluator: evaluator, preset: settings.preset, iterations: settings.iterations,
                                            seed: settings.seed, historyEvery: settings.historyEvery)
                ascent.shouldStop = { [self] in cancelled(selection, settings) }
                ascent.onHistory = { entry in
                    snapshot.history.append(entry)
                    snapshot.image = entry.image
                }
                ascent.onProgress = { [self] progress in
                    snapshot.step = progress.step + 1
                    snapshot.objective = progress.objective
                    snapshot.curve.append(progress.objective)
                    snapshot.elapsedSeconds = elapsed()
                    snapshot.stepsPerSecond = Double(snapshot.step) / max(snapshot.elapsedSeconds, 1e-9)
                    pipeline.publish(snapshot)
                    pipeline.yieldToForward()
                }
                let result = try ascent.run()
                snapshot.image = result.best
                snapshot.seen = result.bestAsSeen
                switch result.stop {
                case .finished:
                    snapshot.phase = .finished
                    save(key, settings, result, curve: snapshot.curve)
                case .cancelled: snapshot.phase = .cancelled
                case let .diverged(_, message):
                    snapshot.phase = .failed
                    snapshot.error = message
                }
            } catch {
                snapshot.phase = .failed
                snapshot.error = "gradient ascent of \(objective.name): \(error)"
            }
        }
        snapshot.elapsedSeconds = elapsed()
        pipeline.publish(snapshot)
    }

    /// Saves a finished run into the store; a failure is reported in the status line, not fatal.
    private func save(_ key: UnitImageKey, _ settings: AscentSettings, _ result: AscentResult, curve: [Float]) {
        guard let store = pipeline.configuration.unitImages?.store else { return }
        do {
            try store.save(key, preset: settings.preset, best: result.best, seen: result.bestAsSeen, history: result.history,
                           curve: curve, bestObjective: result.bestObjective, bestStep: result.bestStep)
        } catch {
            pipeline.note("unit-image store: \(error)")
        }
    }

}

extension LivePipeline {
    /// The finished image for `selection` with the current ascent settings if the store or the atlas has it, read at
    /// once (one PNG decode, no history): the UI calls this on a click so a known unit shows on the first frame drawn
    /// after it; the ascent thread follows with the whole entry (history, curve). nil otherwise.
    public func finishedImageNow(_ selection: UnitSelection) -> AscentSnapshot? {
        guard let settings = controls.ascent, configuration.unitImages != nil else { return nil }
        let (objective, key) = unitImageKey(selection, settings)
        let template = AscentSnapshot(selection: selection, settings: settings, objectiveName: objective.name, phase: .finished,
                                      step: 0, objective: nil, curve: [], image: nil, seen: nil, history: [], error: nil,
                                      source: .computed, stepsPerSecond: 0, elapsedSeconds: 0)
        return finishedImage(key, template, withHistory: false)
    }

    /// The finished image for `key` from the store, else from the atlas; nil if neither has it.
    func finishedImage(_ key: UnitImageKey, _ template: AscentSnapshot, withHistory: Bool) -> AscentSnapshot? {
        guard let lookup = configuration.unitImages else { return nil }
        let start = uptimeNanoseconds()
        var found = template
        found.phase = .finished
        found.step = key.iterations
        if let store = lookup.store {
            if withHistory, let run = store.load(key) {
                found.source = .store
                found.image = run.image
                found.seen = run.seen
                found.history = run.history
                found.curve = run.record.curve ?? []
                found.objective = found.curve.last ?? run.record.bestObjective
                found.elapsedSeconds = Double(uptimeNanoseconds() - start) / 1e9
                return found
            }
            if !withHistory, let best = store.loadBest(key) {
                found.source = .store
                found.image = best.image
                found.objective = best.record.curve?.last ?? best.record.bestObjective
                found.elapsedSeconds = Double(uptimeNanoseconds() - start) / 1e9
                return found
            }
        }
        if let atlas = lookup.atlas, atlas.layer == key.layer, template.selection.objective == .centreUnit,
           atlas.settings.preset.name == key.preset, atlas.settings.seed == key.seed, let unit = atlas.unit(key.unit) {
            found.source = .atlas
            found.image = unit.optimized
            found.step = atlas.settings.iterations
            found.objective = unit.record.optimizedActivation
            found.elapsedSeconds = Double(uptimeNanoseconds() - start) / 1e9
            return found
        }
        return nil
    }

    /// The objective and the store key of `selection` optimized with `settings`.
    func unitImageKey(_ selection: UnitSelection, _ settings: AscentSettings) -> (Objective, UnitImageKey) {
        let layer = layers[selection.layerIndex]
        let objective = Objective.forUnit(layer: layer.name, channel: selection.channel,
                                          channelMean: selection.objective == .channelMean, graph: graph, info: info)
        let key = UnitImageKey(modelSHA256: configuration.unitImages?.modelSHA256 ?? "", layer: layer.name,
                               unit: selection.channel, objective: objective.name, preset: settings.preset,
                               iterations: settings.iterations, seed: settings.seed, inputWidth: info.inputWidth,
                               inputHeight: info.inputHeight)
        return (objective, key)
    }

    /// Sleeps briefly when the forward pass has fallen below its floor while frames keep arriving.
    func yieldToForward() {
        guard !configuration.lossless else { return }
        let controls = controls
        guard !controls.paused, !controls.frozen,
              Self.forwardIsBehind(captureFPS: captureRate.rate(), forwardFPS: forwardRate.rate(),
                                   floor: configuration.forwardFloorFraction) else { return }
        Thread.sleep(forTimeInterval: configuration.ascentYieldSeconds)
    }

    /// Whether frames arrive (at least one a second) and the forward pass keeps less than `floor` of them.
    public static func forwardIsBehind(captureFPS: Double, forwardFPS: Double, floor: Double) -> Bool {
        captureFPS >= 1 && forwardFPS < floor * captureFPS
    }
}
