// libFuzzer target: opening a video file with FFmpeg and decoding its first frames, through a temporary file
// (VideoFile takes a path, as the CLI does). Built and run by Scripts/fuzz video SECONDS.
import Capture
import Glibc

/// One scratch file per fuzzer process, rewritten for every input.
nonisolated(unsafe) private let scratchPath = "/tmp/deepvis-fuzz-video-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVideo(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fd = open(scratchPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot create \(scratchPath)")
    var written = 0
    while written < size {
        let n = write(fd, data + written, size - written)
        precondition(n > 0, "cannot write \(scratchPath)")
        written += n
    }
    close(fd)
    guard let video = try? VideoFile(path: scratchPath, pacing: .asFastAsPossible) else { return 0 }
    defer { video.close() }
    for _ in 0..<8 {
        guard let frame = try? video.next(timeout: 1) else { break }
        precondition(frame.image.pixels.count == frame.image.width * frame.image.height * 3, "frame size disagrees")
    }
    return 0
}
