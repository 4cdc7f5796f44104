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

/// The capture → forward hand-over: a few slots, oldest first, where a new frame pushes out the oldest when full.
///
/// `put` into a full mailbox drops the oldest frame and counts it, and `take` can skip frames grown too old while a newer
/// one waits (the network looks at recent pictures only). In lossless mode (headless, reproducible runs) `put` instead
/// waits for a slot.
public final class FrameMailbox<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var dropped = 0
        var delivered = 0
        var closed = false
    }
    private let state = Mutex(State())
    private let spaceFreed = WakeUp()
    /// Signalled on every `put`; the consumer waits on it.
    public let arrived: WakeUp
    /// Frames held at most.
    public let capacity: Int

    /// A mailbox of `capacity` slots whose `put` signals `arrived` (pass the consumer thread's wake-up to share it).
    public init(capacity: Int = 1, arrived: WakeUp = WakeUp()) {
        precondition(capacity >= 1, "FrameMailbox: capacity \(capacity)")
        self.capacity = capacity
        self.arrived = arrived
    }

    /// Hands over `item`. Lossy: when full, drops (and counts) the oldest waiting item. Lossless: waits until a
    /// slot is free or the mailbox is closed; returns false if it was closed.
    @discardableResult
    public func put(_ item: Item, lossless: Bool = false) -> Bool {
        while true {
            let stored: Bool? = state.withLock { s in
                if s.closed { return false }
                if s.items.count >= capacity {
                    if lossless { return nil }
                    s.items.removeFirst()
                    s.dropped += 1
                }
                s.items.append(item)
                return true
            }
            guard let stored else { spaceFreed.wait(seconds: 0.5); continue }
            if stored { arrived.signal() }
            return stored
        }
    }

    /// Removes and returns the oldest waiting item that `isStale` accepts (older ones are dropped and counted), or the
    /// newest if every one is stale; nil if none waits. Never blocks.
    public func take(skippingStale isStale: (Item) -> Bool = { _ in false }) -> Item? {
        let item: Item? = state.withLock { s in
            guard !s.items.isEmpty else { return nil }
            while s.items.count > 1 && isStale(s.items[0]) {
                s.items.removeFirst()
                s.dropped += 1
            }
            s.delivered += 1
            return s.items.removeFirst()
        }
        if item != nil { spaceFreed.signal() }
        return item
    }

    /// Discards every waiting item (not counted as dropped: nobody wanted them); returns how many.
    @discardableResult
    public func discardAll() -> Int {
        let count = state.withLock { s in
            defer { s.items.removeAll() }
            return s.items.count
        }
        if count > 0 { spaceFreed.signal() }
        return count
    }

    /// Whether an item is waiting.
    public var hasItem: Bool { state.withLock { !$0.items.isEmpty } }

    /// Items pushed out before anyone took them.
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
