import Dispatch
import Foundation
import Synchronization

/// Monotonic nanoseconds: the clock frames are stamped with and latencies are measured on.
public func uptimeNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// A moving average that weighs each new sample by a fifth, so it follows the last few samples (the live threads'
/// estimates of how long their passes take and how far apart they start).
struct MovingAverage {
    private(set) var value: Double

    init(_ initial: Double) { value = initial }

    mutating func add(_ sample: Double) { value += 0.2 * (sample - value) }
}

/// Events per second over a sliding window of the last `window` seconds.
public final class RateMeter: Sendable {
    private let times: Mutex<[UInt64]>
    private let window: UInt64
    /// Total events ever recorded.
    private let total = Atomic<Int>(0)

    /// A meter averaging over `seconds`.
    public init(window seconds: Double = 2) {
        times = Mutex([])
        window = UInt64(seconds * 1e9)
    }

    /// Records one event now.
    public func tick(at now: UInt64 = uptimeNanoseconds()) {
        total.add(1, ordering: .relaxed)
        times.withLock { t in
            t.append(now)
            if let cut = t.firstIndex(where: { now - $0 <= window }), cut > 0 { t.removeFirst(cut) }
        }
    }

    /// Events per second over the window (0 with fewer than two events in it).
    public func rate(at now: UInt64 = uptimeNanoseconds()) -> Double {
        times.withLock { t in
            let recent = t.filter { now >= $0 && now - $0 <= window }
            guard recent.count >= 2, let first = recent.first, let last = recent.last, last > first else { return 0 }
            return Double(recent.count - 1) / (Double(last - first) / 1e9)
        }
    }

    /// Events recorded since creation.
    public var count: Int { total.load(ordering: .relaxed) }
}

/// The last `capacity` latency samples (milliseconds) and their percentiles.
public final class LatencyRecorder: Sendable {
    private let samples: Mutex<[Double]>
    private let capacity: Int

    /// Keeps the newest `capacity` samples.
    public init(capacity: Int = 512) {
        samples = Mutex([])
        self.capacity = capacity
    }

    /// Records the time from `start` (uptime ns) to now.
    public func record(since start: UInt64, now: UInt64 = uptimeNanoseconds()) {
        guard now >= start else { return }
        record(milliseconds: Double(now - start) / 1e6)
    }

    /// Records one sample.
    public func record(milliseconds: Double) {
        samples.withLock { s in
            s.append(milliseconds)
            if s.count > capacity { s.removeFirst(s.count - capacity) }
        }
    }

    /// The `p`-th percentile (0…100, nearest rank) of the kept samples; 0 when there are none.
    public func percentile(_ p: Double) -> Double {
        let sorted = samples.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    /// Number of kept samples.
    public var count: Int { samples.withLock { $0.count } }
}

/// What the pipeline measured, for the status bar and `Scripts/bench-live`.
public struct LiveStatistics: Sendable, Equatable {
    public var captureFPS: Double
    public var forwardFPS: Double
    public var probeFPS: Double
    /// Frames the capture thread replaced before the forward thread took them.
    public var droppedFrames: Int
    public var capturedFrames: Int
    public var forwardPasses: Int
    /// Forward passes that kept every value for the probe's backward (outside lossless mode, only the frames the probe
    /// reads; the others keep only the shown layers and run faster).
    public var keptPasses: Int
    public var probes: Int
    /// Capture → snapshot published, milliseconds.
    public var publishLatencyP50: Double
    /// Capture → drawn on screen, milliseconds (recorded by the viewer through `LivePipeline.displayed`).
    public var displayLatencyP50: Double
    public var displayLatencyP90: Double
    /// Mean milliseconds of one forward pass (preprocessing included).
    public var forwardMilliseconds: Double
    /// Steps per second of the running gradient ascent, else of the last one computed to the end (0: none yet).
    public var ascentStepsPerSecond: Double
    /// Seconds from start to finish of that ascent.
    public var ascentSecondsToFinish: Double
    /// Finished unit images shown so far, by source (store, atlas, computed).
    public var unitImageSources: [UnitImageSource: Int]
    /// Channels of the shown layer whose 9 top-patch slots are full.
    public var topPatchesFilled: Int
    /// Units the idle prefetcher optimized into the store.
    public var prefetchedUnits: Int
    /// Seconds the last unit image served from the store or an atlas took to load (0: none yet).
    public var unitImageLoadSeconds: Double
}

/// This process's resident set size in megabytes (VmRSS from /proc/self/status; 0 if unreadable).
public func residentMegabytes() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}
