import Dispatch
import Synchronization

/// A one-slot box holding the newest value a producer thread handed over; readers never block.
///
/// Each `publish` bumps `version`, so a reader can tell "nothing new" from "same value again".
public final class LatestValue<Value: Sendable>: Sendable {
    private let state: Mutex<(value: Value?, version: Int)>

    /// An empty box (or one holding `initial`).
    public init(_ initial: Value? = nil) {
        state = Mutex((initial, initial == nil ? 0 : 1))
    }

    /// Replaces the value.
    public func publish(_ value: Value) {
        state.withLock { $0 = (value, $0.version + 1) }
    }

    /// Changes the value in place under the lock and returns what `body` returns.
    public func update<R>(_ body: (inout Value?) -> R) -> R {
        state.withLock { s in
            let r = body(&s.value)
            s.version += 1
            return r
        }
    }

    /// The newest value, or nil before the first publish.
    public var value: Value? { state.withLock { $0.value } }

    /// The newest value with its version (0 before the first publish).
    public var versioned: (value: Value?, version: Int) { state.withLock { ($0.value, $0.version) } }
}

/// A wake-up call between threads: `signal` never blocks, `wait` sleeps until signalled or timed out.
///
/// Signals are counted, so a waiter never misses one sent while it was busy; a waiter always re-checks
/// the shared state it cares about after waking (extra wake-ups are harmless).
public final class WakeUp: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    /// A wake-up with no pending signals.
    public init() {}

    /// Wakes one waiter (now or at its next `wait`).
    public func signal() { semaphore.signal() }

    /// Sleeps until signalled or `seconds` have passed; true if signalled.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        semaphore.wait(timeout: .now() + .nanoseconds(Int(max(seconds, 0) * 1e9))) == .success
    }
}

/// The capture → forward hand-over: a single slot where the newest frame wins.
///
/// `put` replaces an unconsumed frame and counts it as dropped (the network only ever looks at the
/// newest picture). In lossless mode (headless, reproducible runs) `put` instead waits for the slot to empty.
public final class FrameMailbox<Item: Sendable>: Sendable {
    private struct State {
        var item: Item?
        var dropped = 0
        var delivered = 0
        var closed = false
    }
    private let state = Mutex(State())
    private let spaceFreed = WakeUp()
    /// Signalled on every `put`; the consumer waits on it.
    public let arrived: WakeUp

    /// A mailbox whose `put` signals `arrived` (pass the consumer thread's wake-up to share it).
    public init(arrived: WakeUp = WakeUp()) {
        self.arrived = arrived
    }

    /// Hands over `item`. Lossy: replaces (and counts) a waiting item. Lossless: waits until the slot is
    /// free or the mailbox is closed; returns false if it was closed.
    @discardableResult
    public func put(_ item: Item, lossless: Bool = false) -> Bool {
        while true {
            let stored: Bool? = state.withLock { s in
                if s.closed { return false }
                if s.item != nil {
                    if lossless { return nil }
                    s.dropped += 1
                }
                s.item = item
                return true
            }
            guard let stored else { spaceFreed.wait(seconds: 0.5); continue }
            if stored { arrived.signal() }
            return stored
        }
    }

    /// Removes and returns the waiting item, if any; never blocks.
    public func take() -> Item? {
        let item: Item? = state.withLock { s in
            defer { s.item = nil }
            if s.item != nil { s.delivered += 1 }
            return s.item
        }
        if item != nil { spaceFreed.signal() }
        return item
    }

    /// Whether an item is waiting.
    public var hasItem: Bool { state.withLock { $0.item != nil } }

    /// Items replaced before anyone took them.
    public var droppedCount: Int { state.withLock { $0.dropped } }

    /// Items taken by the consumer.
    public var deliveredCount: Int { state.withLock { $0.delivered } }

    /// Refuses further items and wakes a producer blocked in a lossless `put`.
    public func close() {
        state.withLock { $0.closed = true }
        spaceFreed.signal()
        arrived.signal()
    }
}
