import CFFmpeg

/// FFmpeg constants that Swift cannot import (they are function-like or FFERRTAG macros).
enum FFmpegCode {
    /// AVERROR_EOF = -MKTAG('E','O','F',' ').
    static let endOfFile: Int32 = -541_478_725
    /// AVERROR(EAGAIN).
    static let again: Int32 = -11
    /// AV_NOPTS_VALUE.
    static let noTimestamp = Int64.min
}

/// FFmpeg's text for an error code (what `av_err2str` would give).
func ffmpegErrorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(AV_ERROR_MAX_STRING_SIZE))
    av_strerror(code, &buffer, buffer.count)
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// FFmpeg's process-wide settings, applied once (they are global state), before the first file is opened:
/// - its stderr chatter is silenced below "fatal": its errors reach the user through our own one-line messages
///   (`notAVideo`, `truncated`), which quote FFmpeg's reason;
/// - one allocation may not exceed `ffmpegMaxAllocation`: a 1.6 KB QuickTime file found by `Scripts/fuzz video`
///   (Tests/Fixtures/fuzz/video/oom-mov-1gib) made the mov demuxer ask for 1 GiB while opening it.
let ffmpegProcessSettings: Void = {
    av_log_set_level(AV_LOG_FATAL)
    av_max_alloc(ffmpegMaxAllocation)
}()

/// 512 MiB: above the largest single buffer a frame within `ImageLimits.maxPixels` needs (one 16-bit plane of
/// 100 megapixels is 200 MB, a packed 8-bit RGB frame 300 MB), far below what hostile headers ask for.
let ffmpegMaxAllocation = 512 << 20
