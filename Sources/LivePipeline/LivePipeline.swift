import Capture
import Dispatch
import Foundation
import NeuralNetwork
import Synchronization
import Tensors

/// Threads that turn frames into what the viewer draws (DESIGN §1). No SDL here.
///
/// ```
/// capture thread ──FrameMailbox (newest wins)──▶ forward thread ──LatestValue<LayerSnapshot>──▶ UI
///                                                                 └─▶ probe thread ──LatestValue<ProbeResult>──▶ UI
/// controls (selected unit, AscentSettings) ──▶ ascent thread ──LatestValue<AscentSnapshot>──▶ UI
/// ```
/// Every hand-over is a locked one-slot box; a `WakeUp` tells the consumer something changed. The UI only
/// reads boxes (never waits, except in lossless mode where it asks for each frame and waits for it), and
/// no worker ever waits on the UI. Control changes (`update`) reach each worker at its next step boundary.
public final class LivePipeline: Sendable {
    /// How the pipeline runs.
    public struct Configuration: Sendable {
        /// Seconds between attempts to reopen a camera that went away.
        public var retryInterval: Double = 1
        /// Reproducible mode (headless output, tests): no frame is dropped, and the forward thread processes
        /// a new frame only when the UI asks for one with `requestFrame()`.
        public var lossless = false
        /// `Parallel.threads` (our loops and OpenBLAS) for the whole process. The forward and probe threads each
        /// run one pass at a time; with two vCPUs worth about one core, 1 keeps them from oversubscribing.
        public var computeThreads = 1
        /// Nice value added to the probe thread, so the forward pass wins when both want the CPU.
        public var probeNiceness: Int32 = 5
        /// Backward passes per second the probe thread starts at most, except right after the selection changes and
        /// in lossless mode. Twenty a second is smooth for a picture that follows the scene, and the CPU it does
        /// not take goes to the forward pass: on a 60 fps source with the ascent running, an uncapped probe ran
        /// 31–35 times a second on this 2-vCPU machine while the forward pass dropped frames (BENCHMARKS.md).
        public var probeMaxFPS = 20.0
        /// The share of the source's frame rate the ascent and prefetch threads protect: while frames arrive and the
        /// forward pass keeps less than this share of them (over `RateMeter`'s 2-s window), they sleep
        /// `ascentYieldSeconds` after each step. Nice 19 alone leaves the ascent's memory traffic, which cost a 60 fps
        /// source 169–184 of 1800 frames with the ascent running all the time in one set of runs; a floor of 0.98 kept
        /// 58.0–58.6 fps against nice 19's 55.8–58.8 in five alternated pairs. 0.995 (in effect: no frame dropped in
        /// the window) cost the ascent a quarter of its speed when every late pass dropped a frame; with the frame
        /// queue (`frameQueueDepth`) it costs the ascent nothing measurable (BENCHMARKS.md).
        public var forwardFloorFraction = 0.995
        /// Frames waiting for the forward pass at most, oldest first (a new one pushes out the oldest), and how old
        /// (seconds) the forward pass takes one while a newer one waits: older ones are dropped. With one slot, every
        /// pass that overran the 16.7 ms between two 60 fps frames (a neighbour's burst on this shared 2-vCPU host,
        /// where a live pass takes about 14 ms) dropped a frame; with room for 50 ms of them, the passes after it catch
        /// up. The age bound keeps a forward pass that is behind for good (a slow model) on recent frames rather than
        /// always three frames late (BENCHMARKS.md). Lossless mode always holds one.
        public var frameQueueDepth = 3
        /// Seconds a waiting frame may age before the forward pass skips it for a newer one (see `frameQueueDepth`).
        public var frameQueueMaxAge = 0.05
        /// How long the ascent thread sleeps after a step while the forward pass is below its floor.
        public var ascentYieldSeconds = 0.1
        /// The nice value the ascent thread sets for itself outside lossless mode (19: the lowest priority), so it
        /// takes the CPU time the live threads leave. At the forward thread's priority, an ascent running the whole
        /// time cost a 60 fps source a quarter of its frames and held the probe at 7–7.5 fps on this 2-vCPU machine
        /// (BENCHMARKS.md).
        public var ascentNiceness: Int32 = 19
        /// Where the ascent thread looks for finished unit images before computing (nil: always compute).
        public var unitImages: UnitImageLookup?
        /// Frames closer than this compete for one top-patch slot (25: a second of a 25 fps video), so a channel's
        /// 9 patches come from different moments rather than 9 neighbouring frames. Nine slots then need at least
        /// 200 frames of spread: 50 (two seconds) left no channel full after 20 s of the 20-s sample video.
        public var topPatchFrameGap = 25
        /// Seconds without a control change after which the prefetch thread optimizes other units into the store.
        public var prefetchIdleSeconds = 5.0

        /// Defaults: live, lossy, one compute thread.
        public init() {}
    }

    /// Threads that run network passes at once (forward, probe, top-patch, and ascent or prefetch), each with up to
    /// `computeThreads` helpers: what the address-space check counts.
    public static let computingThreads = 4

    public let graph: Graph
    public let info: ModelInfo
    /// The layers the user can switch between.
    public let layers: [PipelineLayer]
    public let sources: [LiveSource]
    public let configuration: Configuration

    let frames: FrameMailbox<StampedFrame>
    private let snapshots = LatestValue<LayerSnapshot>()
    private let probes = LatestValue<ProbeResult>()
    /// The newest backward image of every unit probed (main selection and `extraProbes`), pruned to those wanted.
    private let probesByUnit = Mutex<[UnitSelection: ProbeResult]>([:])
    private let ascents = LatestValue<AscentSnapshot>()
    private let topPatchLists = LatestValue<TopPatchSnapshot>()
    let readiness = LatestValue<UnitsReady>()
    /// The session the ascent and prefetch threads take turns on (a full-model session is ~120 MB of buffers).
    let optimizerSession: SharedSession
    let ascentNice = Atomic<Int32>(Int32.min)
    /// The ascent thread's nice value as the kernel reports it once the thread has started (nil before).
    public var ascentThreadNiceness: Int32? {
        let nice = ascentNice.load(ordering: .relaxed)
        return nice == Int32.min ? nil : nice
    }
    /// The forward thread's sessions, whose activations the probe reads.
    let forwardSessions: ForwardSessions
    /// Steps per second and wall-clock seconds of the last finished ascent.
    private let lastFinishedAscent = Mutex((stepsPerSecond: 0.0, seconds: 0.0))
    /// Seconds the last unit image served from the store or an atlas took to load.
    private let lastLoad = Mutex(0.0)
    /// Units the idle prefetcher has optimized into the store.
    let prefetched = Atomic<Int>(0)
    /// Forward passes that kept every value (`ForwardSessions`).
    private let keptPasses = Atomic<Int>(0)
    /// Finished unit images shown, by where they came from.
    private let imageSources = Mutex([UnitImageSource: Int]())
    /// A note from a worker for the status line (e.g. the store could not be written).
    private let workerNote = LatestValue<String>()
    private let status: LatestValue<SourceStatus>
    private let controlState: Mutex<PipelineControls>
    /// When the controls last changed (uptime ns): the idle prefetcher waits for the user to be idle.
    let controlsChangedAt = Atomic<UInt64>(0)
    private let credits = Mutex(0)
    private let stopping = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    let captureWake = WakeUp(), forwardWake = WakeUp(), probeWake = WakeUp(), patchWake = WakeUp()
    /// Signalled whenever a snapshot, probe result or status is published (for a UI that waits: lossless mode).
    private let uiWake = WakeUp()
    /// Wake-ups of selected-unit workers, signalled on every control change.
    private let workerWakes = Mutex<[WakeUp]>([])

    let captureRate = RateMeter(), forwardRate = RateMeter(), probeRate = RateMeter()
    private let publishLatency = LatencyRecorder(), displayLatency = LatencyRecorder()
    private let forwardTime = Mutex((total: 0.0, count: 0))

    /// A pipeline over `graph` reading `sources` (at least one), starting with `controls`. Call `start()`.
    public init(graph: Graph, info: ModelInfo, layers: [PipelineLayer], sources: [LiveSource],
                controls: PipelineControls, configuration: Configuration = Configuration()) {
        precondition(!sources.isEmpty, "LivePipeline needs at least one source")
        precondition(layers.indices.contains(controls.selection.layerIndex), "initial layer out of range")
        self.graph = graph
        self.info = info
        self.layers = layers
        self.sources = sources
        self.configuration = configuration
        controlState = Mutex(controls)
        optimizerSession = SharedSession(graph: graph, keeping: layers.map(\.valueID))
        forwardSessions = ForwardSessions(graph: graph, keeping: layers.map(\.valueID))
        // Lossless runs hand over one frame at a time, as they always did: nothing is dropped there to catch up on.
        frames = FrameMailbox(capacity: configuration.lossless ? 1 : configuration.frameQueueDepth, arrived: forwardWake)
        status = LatestValue(SourceStatus(phase: .opening, source: sources[controls.sourceIndex].name, message: ""))
    }

    /// Starts the capture, forward, probe, ascent and top-patch threads.
    public func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        Parallel.threads = configuration.computeThreads
        controlsChangedAt.store(uptimeNanoseconds(), ordering: .relaxed)
        spawn("deepvis-capture", CaptureLoop(pipeline: self).run)
        spawn("deepvis-forward", ForwardLoop(pipeline: self).run)
        spawn("deepvis-probe", ProbeLoop(pipeline: self).run)
        spawn("deepvis-ascent", AscentLoop(pipeline: self).run)
        spawn("deepvis-patches", TopPatchLoop(pipeline: self).run)
        if configuration.unitImages?.store != nil { spawn("deepvis-prefetch", PrefetchLoop(pipeline: self).run) }
    }

    /// Runs `body` on a new thread counted in `finished`, with room for deep network stacks, named `name` for the
    /// kernel too (first 15 bytes), so `top -H`, `ps -L` and `perf` tell the live threads apart.
    func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        finished.enter()
        let thread = Thread { [finished] in
            nameCallingThread(name)
            body()
            finished.leave()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops every thread and waits (up to `timeout` seconds) for them to finish; true if they did.
    @discardableResult
    public func stop(timeout: Double = 10) -> Bool {
        stopping.store(true, ordering: .relaxed)
        frames.close()
        for wake in [captureWake, forwardWake, probeWake, patchWake, uiWake] + workerWakes.withLock({ $0 }) { wake.signal() }
        return finished.wait(timeout: .now() + timeout) == .success
    }

    /// Stops every thread and waits for all to finish, since a process must not exit while a worker is inside a
    /// library (OpenBLAS, FFmpeg) whose exit handlers free what it is using. A thread still busy after `patience`
    /// seconds is stuck, not slow (no step takes that long): the process then leaves at once with `_exit`, skipping
    /// those handlers, and says so, rather than hang.
    public func stopAndJoin(patience: Double = 60) {
        var waited = 0.0
        while !stop(timeout: 10) {
            waited += 10
            guard waited < patience else {
                FileHandle.standardError.write(Data(("deepvis: a pipeline thread did not stop within \(Int(waited)) s; "
                    + "exiting without cleanup\n").utf8))
                _exit(1)
            }
            FileHandle.standardError.write(Data("deepvis: waiting for the pipeline's threads to finish\n".utf8))
        }
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    // MARK: controls

    /// What the user currently asks for.
    public var controls: PipelineControls { controlState.withLock { $0 } }

    /// Changes the controls; every worker sees the change at its next step boundary.
    public func update(_ body: (inout PipelineControls) -> Void) {
        let changed = controlState.withLock { c -> Bool in
            let before = c
            body(&c)
            precondition(layers.indices.contains(c.selection.layerIndex) && sources.indices.contains(c.sourceIndex),
                         "controls out of range: \(c)")
            return c != before
        }
        guard changed else { return }
        controlsChangedAt.store(uptimeNanoseconds(), ordering: .relaxed)
        for wake in [captureWake, forwardWake, probeWake, patchWake, uiWake] + workerWakes.withLock({ $0 }) { wake.signal() }
    }

    /// Cycles to the next configured source.
    public func cycleSource() {
        update { $0.sourceIndex = ($0.sourceIndex + 1) % sources.count }
    }

    // MARK: publishing (worker side)

    func publish(_ snapshot: LayerSnapshot, forwardNanoseconds: UInt64, keptAll: Bool) {
        snapshots.publish(snapshot)
        if keptAll { keptPasses.add(1, ordering: .relaxed) }
        forwardRate.tick()
        publishLatency.record(since: snapshot.captureTime)
        forwardTime.withLock { $0 = ($0.total + Double(forwardNanoseconds) / 1e6, $0.count + 1) }
        probeWake.signal()
        patchWake.signal()
        uiWake.signal()
    }

    func publish(_ result: ProbeResult) {
        let controls = controls
        probesByUnit.withLock { map in
            map[result.selection] = result
            map = map.filter { $0.key == controls.selection || controls.extraProbes.contains($0.key) }
        }
        if result.selection == controls.selection { probes.publish(result) }
        probeRate.tick()
        uiWake.signal()
    }

    func publish(_ snapshot: AscentSnapshot) {
        ascents.publish(snapshot)
        if snapshot.phase == .finished {
            imageSources.withLock { $0[snapshot.source, default: 0] += 1 }
            if snapshot.source == .computed {
                lastFinishedAscent.withLock { $0 = (snapshot.stepsPerSecond, snapshot.elapsedSeconds) }
            } else {
                lastLoad.withLock { $0 = snapshot.elapsedSeconds }
            }
        }
        uiWake.signal()
    }

    func publish(_ snapshot: TopPatchSnapshot) {
        topPatchLists.publish(snapshot)
        uiWake.signal()
    }

    func publishStatus(_ newStatus: SourceStatus) {
        status.publish(newStatus)
        uiWake.signal()
    }

    /// Posts a note for the status line (a worker's or the caller's, e.g. an unusable `--cache`).
    public func note(_ message: String) {
        workerNote.publish(message)
        uiWake.signal()
    }

    func registerWake(_ wake: WakeUp) {
        workerWakes.withLock { $0.append(wake) }
    }

    func notifyUI() { uiWake.signal() }

    /// Lossless mode: consumes one credit granted by `requestFrame`.
    func takeCredit() -> Bool {
        credits.withLock { c in
            guard c > 0 else { return false }
            c -= 1
            return true
        }
    }

    // MARK: reading (UI side)

    /// The newest snapshot, if any.
    public var latestSnapshot: LayerSnapshot? { snapshots.value }

    /// The newest backward image, if any (check its `selection` and `snapshotSequence` before showing it).
    public var latestProbe: ProbeResult? { probes.value }

    /// The newest backward image of `selection` (the main one or one of `extraProbes`), if computed yet.
    public func latestProbe(for selection: UnitSelection) -> ProbeResult? {
        probesByUnit.withLock { $0[selection] }
    }
    /// The newest gradient-ascent state, if any (check its `selection` and `settings` before showing it).
    public var latestAscent: AscentSnapshot? { ascents.value }

    /// The newest top-patch lists (check their `layerIndex` before showing them).
    public var latestTopPatches: TopPatchSnapshot? { topPatchLists.value }

    /// How many units of the shown layer the store holds for the current settings, and of how many (prefetch thread).
    public var unitsReady: (layerIndex: Int, ready: Int, total: Int)? { readiness.value?.counts }

    /// The newest note from a worker thread for the status line, if any.
    public var latestNote: String? { workerNote.value }

    /// Where the frames come from and what went wrong.
    public var sourceStatus: SourceStatus { status.value! }

    /// A number that changes whenever a snapshot, probe result, ascent state or status is published.
    public var publishVersion: Int {
        snapshots.versioned.version + probes.versioned.version + ascents.versioned.version + status.versioned.version
            + topPatchLists.versioned.version + workerNote.versioned.version
    }

    /// Lossless mode: lets the forward thread take one more frame from the source.
    public func requestFrame() {
        credits.withLock { $0 += 1 }
        forwardWake.signal()
    }

    /// Lossless mode: frames asked for with `requestFrame` that the forward thread has not taken yet.
    public var pendingFrameRequests: Int { credits.withLock { $0 } }

    /// Blocks the caller until `condition` holds or `timeout` seconds pass (lossless mode's UI); true if it holds.
    public func wait(timeout: Double, until condition: () -> Bool) -> Bool {
        let deadline = uptimeNanoseconds() + UInt64(timeout * 1e9)
        while !condition() {
            let now = uptimeNanoseconds()
            guard now < deadline, !isStopping else { return false }
            uiWake.wait(seconds: Double(deadline - now) / 1e9)
        }
        return true
    }

    /// The viewer calls this when it has drawn `snapshot`: records capture → display latency.
    public func displayed(_ snapshot: LayerSnapshot, at now: UInt64 = uptimeNanoseconds()) {
        displayLatency.record(since: snapshot.captureTime, now: now)
    }

    /// The figures measured so far.
    public var statistics: LiveStatistics {
        let forward = forwardTime.withLock { $0 }
        let ascent = lastFinishedAscent.withLock { $0 }
        let running = ascents.value.flatMap { $0.phase == .running && $0.source == .computed ? $0 : nil }
        return LiveStatistics(
            captureFPS: captureRate.rate(), forwardFPS: forwardRate.rate(), probeFPS: probeRate.rate(),
            droppedFrames: frames.droppedCount, capturedFrames: captureRate.count, forwardPasses: forwardRate.count,
            keptPasses: keptPasses.load(ordering: .relaxed), probes: probeRate.count,
            publishLatencyP50: publishLatency.percentile(50),
            displayLatencyP50: displayLatency.percentile(50), displayLatencyP90: displayLatency.percentile(90),
            forwardMilliseconds: forward.count > 0 ? forward.total / Double(forward.count) : 0,
            ascentStepsPerSecond: running?.stepsPerSecond ?? ascent.stepsPerSecond, ascentSecondsToFinish: ascent.seconds,
            unitImageSources: imageSources.withLock { $0 }, topPatchesFilled: topPatchLists.value?.filledChannels ?? 0,
            prefetchedUnits: prefetched.load(ordering: .relaxed), unitImageLoadSeconds: lastLoad.withLock { $0 })
    }
}

/// One `Session`, created on first use, that threads hold in turn for a whole run (the ascent and prefetch threads
/// never optimize at the same time, so a second full set of activation buffers would only cost memory).
final class SharedSession: @unchecked Sendable {
    private let graph: Graph
    private let kept: [Int]
    private let lock = NSLock()
    private var session: Session?

    /// A session over `graph` that keeps the values of `layers` (the only ones the viewer optimizes).
    init(graph: Graph, keeping layers: [Int]) { self.graph = graph; kept = layers }

    /// Runs `body` with the session, waiting for the thread that holds it.
    func withSession<T>(_ body: (Session) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        let session = session ?? Self.make(graph, keeping: kept)
        self.session = session
        return try body(session)
    }

    /// Pre-activation buffers share their activation's storage unless a kept layer is one of them: backward is the
    /// same either way (a clamp's gradient mask is the same from its input or its output), at a third less memory.
    static func make(_ graph: Graph, keeping layers: [Int]) -> Session {
        let session = Session(graph: graph, activationsInPlace: true)
        return layers.contains(where: session.droppedValues.contains) ? Session(graph: graph) : session
    }
}
