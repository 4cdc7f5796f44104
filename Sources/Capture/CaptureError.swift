import Imaging

/// What went wrong getting frames, in words a user can act on.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No device node at this path.
    case noSuchDevice(path: String)
    /// The path exists but is not a V4L2 video-capture device (a regular file, /dev/null, an output-only device).
    case notACaptureDevice(path: String, reason: String)
    /// Another program is using the camera.
    case deviceBusy(path: String)
    /// The user may not open the device node.
    case permissionDenied(path: String)
    /// The camera went away while streaming (unplugged); reopening it later may work.
    case deviceDisconnected(path: String)
    /// The camera offers none of the pixel formats we can convert.
    case noUsableFormat(path: String, offered: [String])
    /// A V4L2 request failed in a way none of the above explains.
    case deviceFailed(path: String, operation: String, reason: String)
    /// No frame arrived within the timeout; try again.
    case timedOut(source: String, seconds: Double)
    /// No file at this path.
    case fileNotFound(path: String)
    /// FFmpeg could not find a decodable video stream in the file.
    case notAVideo(path: String, reason: String)
    /// The file stopped early or is damaged after `framesDecoded` good frames.
    case truncated(path: String, framesDecoded: Int, reason: String)
    /// A folder with no JPEG or PNG files in it.
    case noImages(path: String)
    /// A folder whose every image failed to decode; `example` is one of the errors.
    case noReadableImages(path: String, example: String)
    /// One image of a folder could not be read; the next call moves on to the next image.
    case image(ImagingError)
    /// `next` was called after `close()`.
    case closed(source: String)
    /// The installed FFmpeg has no working encoder for this output format.
    case noEncoder(format: String, tried: [String])
    /// Encoding or writing a video failed; nothing was left at the destination.
    case encodeFailed(path: String, operation: String, reason: String)
    /// A frame handed to a video writer has another size than the first frame.
    case frameSizeMismatch(path: String, expected: String, got: String)

    /// True when calling `next` again (or reopening the device) can succeed.
    public var isRecoverable: Bool {
        switch self {
        case .timedOut, .deviceDisconnected, .deviceBusy, .image: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .noSuchDevice(let p): return "\(p): no such device — is a camera plugged in? try --video FILE"
        case .notACaptureDevice(let p, let r): return "\(p): not a video capture device (\(r))"
        case .deviceBusy(let p): return "\(p): device busy — another program is using the camera; close it and retry"
        case .permissionDenied(let p):
            return "\(p): permission denied — join the 'video' group (sudo usermod -aG video $USER) and log in again"
        case .deviceDisconnected(let p): return "\(p): camera disconnected — plug it back in; it will be reopened"
        case .noUsableFormat(let p, let offered):
            return "\(p): no usable pixel format (camera offers \(offered.joined(separator: ", ")); need MJPEG, YUYV or RGB24)"
        case .deviceFailed(let p, let op, let r): return "\(p): \(op) failed: \(r)"
        case .timedOut(let s, let t): return "\(s): no frame within \(t) s"
        case .fileNotFound(let p): return "\(p): no such file"
        case .notAVideo(let p, let r): return "\(p): not a video FFmpeg can decode (\(r))"
        case .truncated(let p, let n, let r): return "\(p): truncated or corrupt after \(n) frames (\(r))"
        case .noImages(let p): return "\(p): no JPEG or PNG images in this folder"
        case .noReadableImages(let p, let e): return "\(p): none of the images in this folder can be read (e.g. \(e))"
        case .image(let e): return e.description
        case .closed(let s): return "\(s): source is closed"
        case .noEncoder(let f, let tried):
            return "no \(f) encoder in this FFmpeg (tried \(tried.joined(separator: ", "))) — install libavcodec with it, or use --video gif"
        case .encodeFailed(let p, let op, let r): return "\(p): \(op) failed: \(r)"
        case .frameSizeMismatch(let p, let e, let g): return "\(p): frame is \(g) but the video is \(e); all frames must have one size"
        }
    }
}
