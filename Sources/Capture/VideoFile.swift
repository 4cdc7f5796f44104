#if canImport(Glibc)
import Glibc
#endif

/// A video file decoded by FFmpeg (any container and codec it reads: mp4/H.264, mkv/VP9, avi/MJPEG, webm, GIF…).
public final class VideoFile: FrameSource, @unchecked Sendable {
    /// How fast frames come out.
    public enum Pacing: Sendable {
        /// At their presentation times, like a player.
        case realTime
        /// As fast as they decode (tests, benchmarks, batch work).
        case asFastAsPossible
    }

    public let path: String
    public let width: Int
    public let height: Int
    public let codecName: String
    /// The container's frame rate, if it states one.
    public let framesPerSecond: Double?
    /// Length in seconds, if the container records it.
    public let duration: Double?
    public let pacing: Pacing
    /// Start again from the beginning at the end instead of returning nil.
    public let loops: Bool

    private var decoder: FFmpegDecoder?
    private var frameIndex = 0
    private var framesThisPass = 0
    /// Added to timestamps so they keep growing across loops.
    private var loopOffset = 0.0
    private var lastTimestamp = 0.0
    /// Wall-clock time (monotonic seconds) at which stream time 0 is due.
    private var clockStart: Double?
    private var pending: Frame?
    private var finished = false
    /// A seek in this pass makes the header's frame count meaningless for truncation checks.
    private var seekedThisPass = false

    /// Opens `path`; throws `.fileNotFound` or `.notAVideo` at once rather than on the first frame.
    public init(path: String, pacing: Pacing = .realTime, loop: Bool = false) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CaptureError.fileNotFound(path: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CaptureError.notAVideo(path: path, reason: "not a regular file") }
        guard info.st_size > 0 else { throw CaptureError.notAVideo(path: path, reason: "empty file") }
        let decoder = try FFmpegDecoder(path: path)
        self.decoder = decoder
        self.path = path
        (width, height, codecName) = (decoder.width, decoder.height, decoder.codecName)
        (framesPerSecond, duration) = (decoder.framesPerSecond, decoder.duration)
        self.pacing = pacing
        self.loops = loop
    }

    public var description: String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return "\(name) \(codecName) \(width)x\(height)" + (framesPerSecond.map { " @ \(formatRate($0)) fps" } ?? "")
    }

    public func next(timeout: Double) throws -> Frame? {
        guard let decoder else { throw CaptureError.closed(source: path) }
        let frame: Frame
        if let pending {
            frame = pending
        } else {
            guard let decoded = try decodeFrame(decoder) else { return nil }
            frame = decoded
        }
        pending = nil
        if pacing == .realTime {
            let now = monotonicSeconds()
            if clockStart == nil { clockStart = now - frame.timestamp }
            let wait = clockStart! + frame.timestamp - now
            if wait > timeout {
                sleep(seconds: timeout)
                pending = frame
                throw CaptureError.timedOut(source: path, seconds: timeout)
            }
            if wait > 0 { sleep(seconds: wait) }
        }
        return frame
    }

    /// Moves to `seconds` from the start: decodes from the previous keyframe and discards frames
    /// before the target, so the next frame is the one shown at that time.
    public func seek(to seconds: Double) throws {
        guard let decoder else { throw CaptureError.closed(source: path) }
        pending = nil
        finished = false
        clockStart = nil
        seekedThisPass = true
        guard decoder.seek(to: max(0, seconds)) || reopen() else {
            throw CaptureError.notAVideo(path: path, reason: "cannot seek in this file")
        }
        guard let live = self.decoder else { return }
        while let (image, time) = try live.decodeNext() {
            if time + 1e-6 >= seconds || (framesPerSecond.map { time + 0.5 / $0 >= seconds } ?? false) {
                pending = Frame(image: image, timestamp: loopOffset + time, index: frameIndex)
                frameIndex += 1
                lastTimestamp = time
                return
            }
        }
    }

    public func close() {
        decoder = nil
        pending = nil
    }

    /// Decodes the next frame, handling the end of the file: loop, report damage, or end.
    private func decodeFrame(_ decoder: FFmpegDecoder) throws -> Frame? {
        if finished { return nil }
        if let (image, time) = try decoder.decodeNext() {
            defer { frameIndex += 1; framesThisPass += 1 }
            lastTimestamp = time
            return Frame(image: image, timestamp: loopOffset + time, index: frameIndex)
        }
        if let problem = endProblem(decoder) {
            finished = true
            throw CaptureError.truncated(path: path, framesDecoded: framesThisPass, reason: problem)
        }
        guard loops, framesThisPass > 0 else { finished = true; return nil }
        loopOffset += lastTimestamp + 1 / (framesPerSecond ?? 25)
        framesThisPass = 0
        seekedThisPass = false
        guard decoder.seek(to: 0) || reopen(), let live = self.decoder else { finished = true; return nil }
        return try decodeFrame(live)
    }

    /// Why the stream ended early, if it did: errors FFmpeg concealed, or a timeline shorter than the container says.
    private func endProblem(_ decoder: FFmpegDecoder) -> String? {
        if let damage = decoder.damage { return damage }
        if !seekedThisPass, let expected = decoder.expectedFrames, framesThisPass + 1 < expected {
            return "\(framesThisPass) of the \(expected) frames its header lists"
        }
        guard !seekedThisPass, let duration, let fps = framesPerSecond, framesThisPass > 0 else { return nil }
        let expectedLast = duration - 1 / fps
        if lastTimestamp + 3 / fps < expectedLast {
            return "stream ends at \(String(format2: lastTimestamp)) s of \(String(format2: duration)) s"
        }
        return nil
    }

    /// Loops in formats whose demuxer cannot seek (some GIFs, raw streams) by opening the file again.
    private func reopen() -> Bool {
        guard let fresh = try? FFmpegDecoder(path: path) else { return false }
        decoder = fresh
        return true
    }
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

func sleep(seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
