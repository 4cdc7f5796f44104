import NeuralNetwork
import Synchronization

/// The forward thread's two sessions that keep every value and which snapshot each one's activations belong to, so the
/// probe runs backward over the activations the forward pass computed for a snapshot instead of a second forward pass
/// to the layer (one forward for everything live).
///
/// The forward thread writes into a session no one is reading, choosing the one with the older snapshot, so the
/// newest snapshot computed here stays readable until a newer one is. One reader at a time (the probe thread) holds a
/// session, so the forward thread always has the other one and never waits.
///
/// Keeping every value costs a fifth of a pass (the blocks cannot fuse), and the probe reads one frame in three or
/// four, so outside lossless mode the forward thread computes here only the frames the probe will read: the probe
/// says when it will next want activations (`want(at:)`), and the other frames go through a session that keeps only
/// the shown layers (`ForwardLoop`).
final class ForwardSessions: Sendable {
    /// A snapshot whose activations a session holds.
    private struct Held {
        var sequence: Int
        /// Its `LayerSnapshot.sourceFrameIndex`.
        var sourceFrameIndex: Int
    }
    private struct Slots {
        /// What each session holds; nil while it is being written.
        var holds: [Held?]
        var read: Int?
    }
    private let sessions: [UncheckedSession]
    private let slots = Mutex(Slots(holds: [nil, nil], read: nil))
    /// Uptime nanoseconds at which the probe next wants activations; 0 at first (at once), `.max` while it wants none.
    private let wanted = Atomic<UInt64>(0)

    /// Sessions over `graph` that keep the values of `layers` (see `SharedSession.make`).
    init(graph: Graph, keeping layers: [Int]) {
        sessions = (0..<2).map { _ in UncheckedSession(session: SharedSession.make(graph, keeping: layers)) }
    }

    /// For the forward thread: the session to compute the next snapshot in (its old contents are gone).
    func beginWrite() -> (slot: Int, session: Session) {
        let slot = slots.withLock { s -> Int in
            let i = s.holds.indices.filter { $0 != s.read }.min { (s.holds[$0]?.sequence ?? -1) < (s.holds[$1]?.sequence ?? -1) }!
            s.holds[i] = nil
            return i
        }
        return (slot, sessions[slot].session)
    }

    /// For the forward thread: `slot` now holds the activations of snapshot `sequence`, computed on source frame
    /// `sourceFrameIndex`.
    func endWrite(_ slot: Int, sequence: Int, sourceFrameIndex: Int) {
        slots.withLock { $0.holds[slot] = Held(sequence: sequence, sourceFrameIndex: sourceFrameIndex) }
    }

    /// For the probe: it will want activations to run backward on from `time` (uptime nanoseconds; `.max`: none).
    func want(at time: UInt64) { wanted.store(time, ordering: .relaxed) }

    /// When the probe next wants activations (see `want(at:)`).
    var wantedAt: UInt64 { wanted.load(ordering: .relaxed) }

    /// The newest snapshot whose activations a session holds, and its source frame.
    var newest: (sequence: Int, sourceFrameIndex: Int)? {
        slots.withLock { $0.holds.compactMap { $0 }.max { $0.sequence < $1.sequence } }
            .map { ($0.sequence, $0.sourceFrameIndex) }
    }

    /// Runs `body` with the session holding snapshot `sequence`; nil when the forward thread has overwritten it.
    func withActivations<T>(of sequence: Int, _ body: (Session) throws -> T) rethrows -> T? {
        let slot = slots.withLock { s -> Int? in
            guard s.read == nil, let i = s.holds.firstIndex(where: { $0?.sequence == sequence }) else { return nil }
            s.read = i
            return i
        }
        guard let slot else { return nil }
        defer { slots.withLock { $0.read = nil } }
        return try body(sessions[slot].session)
    }
}

/// A session handed between the forward and probe threads; `ForwardSessions`' lock orders every hand-over.
private struct UncheckedSession: @unchecked Sendable {
    let session: Session
}
