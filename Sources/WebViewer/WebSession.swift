import LivePipeline
import Synchronization
import ViewerCore

/// A unit of a layer, whatever backward mode a viewer uses.
struct UnitKey: Sendable, Hashable {
    var layerIndex: Int
    var channel: Int
}

/// What the server has already sent one browser, so each message carries only what changed.
struct SentMarks: Sendable {
    var snapshotSequence = 0
    var inputSequence = -1
    var layerKey = ""
    var backwardKey = ""
    var ascentUnit: UnitKey?
    var ascentHistory = 0
    var ascentCurve = 0
    var ascentCurrentKey = ""
    var ascentInfoKey = ""
    var stateKey = ""
    var statusTime: UInt64 = 0
}

/// One browser: its own `ViewerState` (layer, unit, modes, slider), what it was sent, and its wake-up for the sender.
///
/// Pacing: the sender sleeps on `wakes`, a stream that keeps only the newest wake-up, and then builds one message
/// from the newest pipeline state. While a write to a slow browser is in flight, further wake-ups collapse into
/// one, so nothing queues behind it; snapshots it never saw are counted as skipped.
final class WebSession: Sendable {
    struct Mutable: Sendable {
        var view: ViewerState
        /// When this browser last changed its selection (the pipeline's main selection follows the latest one).
        var lastAction: Int
        /// Error replies waiting for the sender (bounded: a flood of bad messages cannot grow memory).
        var errors: [String] = []
        var sent = SentMarks()
        /// The snapshot shown while frozen or paused.
        var held: LayerSnapshot?
        var skippedFrames = 0
        var framesSent = 0
        var bytesSent = 0
    }

    let id: Int
    let state: Mutex<Mutable>
    let wakes: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    static let maxPendingErrors = 8

    init(id: Int, view: ViewerState, clock: Int) {
        self.id = id
        state = Mutex(Mutable(view: view, lastAction: clock))
        (wakes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the sender to look for news.
    func poke() { continuation.yield() }

    /// Ends the sender's loop.
    func finish() { continuation.finish() }

    /// Queues an error reply for this browser only.
    func reportError(_ message: String) {
        state.withLock { s in
            if s.errors.count < Self.maxPendingErrors { s.errors.append(message) }
        }
        poke()
    }

    /// The unit this browser shows, with its backward mode, for the probe.
    var selection: UnitSelection {
        let view = state.withLock { $0.view }
        return UnitSelection(layerIndex: view.layerIndex, channel: view.selectedUnit, mode: view.backwardMode)
    }
}
