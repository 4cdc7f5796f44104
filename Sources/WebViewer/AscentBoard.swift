import Foundation
import LivePipeline
import Synchronization
import ViewerCore

/// A unit of a layer, whatever backward mode a viewer uses (gradient ascent does not depend on it).
public struct UnitKey: Sendable, Hashable {
    public var layerIndex: Int
    public var channel: Int

    /// Channel `channel` of pipeline layer `layerIndex`.
    public init(layerIndex: Int, channel: Int) {
        self.layerIndex = layerIndex
        self.channel = channel
    }
}

/// Gradient ascent shared by every browser: each wanted unit is optimized once, its progress read by all viewers
/// of that unit, and a few finished units are kept so going back to one is instant.
///
/// One worker thread runs `job` for one unit at a time: the most recently wanted unit that has no result yet. A run
/// is cancelled (at the job's next step boundary) when no viewer wants its unit any more; a cancelled run's partial
/// result is dropped, so asking again starts afresh.
public final class AscentBoard: Sendable {
    /// Optimizes `unit`, handing progress to `publish`, and returns soon after `isCancelled()` turns true.
    public typealias Job = @Sendable (_ unit: UnitKey, _ isCancelled: @escaping @Sendable () -> Bool,
                                      _ publish: @escaping @Sendable (OptimizationProgress) -> Void) -> Void

    private struct Entry {
        var progress: OptimizationProgress
        var lastUse: Int
    }
    private struct Board {
        var wanted: [UnitKey] = []  // most recent first
        var entries: [UnitKey: Entry] = [:]
        var running: UnitKey?
        var clock = 0
        var version = 0
    }

    private let job: Job
    private let capacity: Int
    private let board = Mutex(Board())
    private let wake = WakeUp()
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    /// A board running `job`, keeping up to `capacity` finished units.
    public init(capacity: Int = 8, job: @escaping Job) {
        self.capacity = max(capacity, 1)
        self.job = job
    }

    /// Starts the worker thread (at a lower priority than the forward pass, like the probe).
    public func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [self] in
            work()
            finished.signal()
        }
        thread.name = "deepvis-web-ascent"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops the worker (cancelling a run) and waits up to `timeout` seconds for it.
    public func stop(timeout: Double = 10) {
        guard started.load(ordering: .relaxed), !stopping.exchange(true, ordering: .relaxed) else { return }
        wake.signal()
        _ = finished.wait(timeout: .now() + timeout)
    }

    /// The units viewers show now, most recently selected first.
    public func want(_ units: [UnitKey]) {
        var seen = Set<UnitKey>()
        let unique = units.filter { seen.insert($0).inserted }
        let changed = board.withLock { b -> Bool in
            guard b.wanted != unique else { return false }
            b.wanted = unique
            for unit in unique {
                b.clock += 1
                b.entries[unit]?.lastUse = b.clock
            }
            return true
        }
        if changed { wake.signal() }
    }

    /// The progress of `unit` so far, if it has been (or is being) optimized.
    public func progress(for unit: UnitKey) -> OptimizationProgress? {
        board.withLock { $0.entries[unit]?.progress }
    }

    /// Changes whenever any unit's progress changes.
    public var version: Int { board.withLock { $0.version } }

    /// The unit being optimized now, if any.
    public var running: UnitKey? { board.withLock { $0.running } }

    private func work() {
        while !stopping.load(ordering: .relaxed) {
            let next = board.withLock { b -> UnitKey? in
                guard let unit = b.wanted.first(where: { b.entries[$0] == nil }) else { return nil }
                b.running = unit
                b.clock += 1
                b.entries[unit] = Entry(progress: OptimizationProgress(running: true), lastUse: b.clock)
                return unit
            }
            guard let unit = next else {
                wake.wait(seconds: 0.5)
                continue
            }
            job(unit, { [self] in
                stopping.load(ordering: .relaxed) || !board.withLock { $0.wanted.contains(unit) }
            }, { [self] progress in
                board.withLock { b in
                    b.entries[unit]?.progress = progress
                    b.version += 1
                }
            })
            board.withLock { b in
                b.running = nil
                // Cancelled: forget the partial run. Finished: keep it, dropping the least recently used beyond capacity.
                if !b.wanted.contains(unit) || (b.entries[unit]?.progress.running ?? false) { b.entries[unit] = nil }
                let done = b.entries.filter { !b.wanted.contains($0.key) }.sorted { $0.value.lastUse < $1.value.lastUse }
                for (key, _) in done.prefix(max(b.entries.count - capacity, 0)) { b.entries[key] = nil }
                b.version += 1
            }
        }
    }
}
