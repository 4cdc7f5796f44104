import Dispatch

/// Measures the display rate and capture→display latency, refreshing the shown figures twice a second
/// so the status text (and its cached texture) does not change every frame.
struct DisplayClock {
    private var windowStart: UInt64 = 0
    private var framesInWindow = 0
    private var latencySum: Double = 0
    private var latencyCount = 0
    /// Frames presented per second over the last window.
    private(set) var fps: Double = 0
    /// Mean capture→display latency over the last window, if frames carried capture times.
    private(set) var latencyMilliseconds: Double?

    static func now() -> UInt64 {
        // The same clock the pipeline stamps `DisplayFrame.captureUptimeNanoseconds` with.
        DispatchTime.now().uptimeNanoseconds
    }

    /// Records one presented frame captured at `captureTime` (monotonic ns), if known.
    mutating func presented(captureTime: UInt64?) {
        let now = Self.now()
        if windowStart == 0 { windowStart = now }
        framesInWindow += 1
        if let captureTime, captureTime <= now {
            latencySum += Double(now - captureTime) / 1e6
            latencyCount += 1
        }
        let elapsed = Double(now - windowStart) / 1e9
        guard elapsed >= 0.5 else { return }
        fps = Double(framesInWindow) / elapsed
        latencyMilliseconds = latencyCount > 0 ? latencySum / Double(latencyCount) : nil
        windowStart = now
        framesInWindow = 0
        latencySum = 0
        latencyCount = 0
    }
}
