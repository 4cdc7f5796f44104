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

/// Silences FFmpeg's stderr chatter, once per process (it is global state): its errors reach the user through our
/// own one-line messages (`notAVideo`, `truncated`), which quote FFmpeg's reason.
let quietFFmpegLogging: Void = {
    av_log_set_level(AV_LOG_FATAL)
}()
