import Capture
import Foundation
import Testing

/// Decode+convert throughput of `VideoFile`; runs only when Scripts/bench-decode sets DEEPVIS_BENCH_VIDEO.
@Suite struct DecodeBenchmark {
    static let video = ProcessInfo.processInfo.environment["DEEPVIS_BENCH_VIDEO"]

    @Test(.enabled(if: video != nil, "set DEEPVIS_BENCH_VIDEO=FILE (Scripts/bench-decode does)"))
    func decodeAndConvert() throws {
        var best = Double.infinity, frames = 0
        for _ in 0..<3 {
            let start = Date()  // opening counts, as it does in the ffmpeg CLI's time
            let source = try VideoFile(path: Self.video!, pacing: .asFastAsPossible)
            var count = 0
            while let frame = try source.next(timeout: 10) { count += frame.image.width > 0 ? 1 : 0 }
            best = min(best, Date().timeIntervalSince(start))
            frames = count
        }
        print("BENCH ours: \(frames) frames in \(best) s = \(Double(frames) / best) fps")
    }
}
