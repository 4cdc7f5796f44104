#if canImport(Glibc)
import Glibc
#endif
import CFFmpeg
import Imaging

/// The video files `VideoWriter` makes.
public enum VideoFormat: String, Sendable, CaseIterable {
    /// Animated GIF (256 colours shared by all frames, loops forever).
    case gif
    /// MP4 with H.264 (libx264) when the installed FFmpeg has it, else MPEG-4 part 2.
    case mp4

    /// The format a file name's extension names, if any.
    public init?(path: String) {
        guard let dot = path.lastIndex(of: ".") else { return nil }
        self.init(rawValue: path[path.index(after: dot)...].lowercased())
    }

    /// Encoders tried in order, by FFmpeg name: the first that opens is used.
    var encoderCandidates: [String] {
        switch self {
        case .gif: return ["gif"]
        case .mp4: return ["libx264", "h264", "mpeg4"]
        }
    }
}

/// Encodes a sequence of RGB frames into an animated GIF or an MP4 file through FFmpeg's libraries.
///
/// Frames go to a temporary file beside `path`, renamed over it by `finish()`, so a reader never
/// sees half a video; a writer dropped before `finish()` leaves nothing behind. GIF frames are
/// held until `finish()` because one palette is made for the whole clip.
public final class VideoWriter {
    public let path: String
    public let format: VideoFormat
    public let width: Int
    public let height: Int
    public let framesPerSecond: Int
    /// The FFmpeg encoder in use ("libx264", "mpeg4", "gif"); set once the output is open.
    public private(set) var encoderName: String?
    /// Frames accepted so far.
    public private(set) var frameCount = 0

    private let temporary: String
    private var encoder: FFmpegEncoder?
    private var heldFrames: [RGBImage] = []
    private var scaler: OpaquePointer?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var finished = false

    /// A writer for `width`×`height` frames; the format comes from `format` or the path's extension.
    public init(path: String, format: VideoFormat? = nil, width: Int, height: Int, framesPerSecond: Int = 10) throws {
        guard let format = format ?? VideoFormat(path: path) else {
            throw CaptureError.encodeFailed(path: path, operation: "choosing the format",
                                            reason: "unknown extension; use .gif or .mp4 (or pass the format)")
        }
        precondition(width > 0 && height > 0 && framesPerSecond > 0, "VideoWriter: \(width)x\(height) at \(framesPerSecond) fps")
        self.path = path
        self.format = format
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporary = "\(directory)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        if format == .mp4 { try openMP4() }
    }

    deinit {
        sws_freeContext(scaler)
        av_frame_free(&frame)
        encoder = nil
        if !finished { unlink(temporary) }
    }

    /// Adds one frame; every frame must have the writer's size.
    public func append(_ image: RGBImage) throws {
        precondition(!finished, "VideoWriter: append after finish")
        guard image.width == width, image.height == height else {
            throw CaptureError.frameSizeMismatch(path: path, expected: "\(width)x\(height)", got: "\(image.width)x\(image.height)")
        }
        switch format {
        case .gif: heldFrames.append(image)
        case .mp4: try encodeYUV(image)
        }
        frameCount += 1
    }

    /// Flushes the encoder and renames the finished file over `path`.
    public func finish() throws {
        precondition(!finished, "VideoWriter: finish called twice")
        guard frameCount > 0 else {
            throw CaptureError.encodeFailed(path: path, operation: "writing the video", reason: "no frames")
        }
        if format == .gif { try encodeGIF() }
        try encoder?.finish()
        encoder = nil
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CaptureError.encodeFailed(path: path, operation: "renaming the finished file", reason: reason)
        }
        finished = true
    }

    /// Writes `frames` to `path` in one call; returns the encoder's name.
    @discardableResult
    public static func write(_ frames: [RGBImage], to path: String, format: VideoFormat? = nil, framesPerSecond: Int = 10) throws -> String {
        guard let first = frames.first else {
            throw CaptureError.encodeFailed(path: path, operation: "writing the video", reason: "no frames")
        }
        let writer = try VideoWriter(path: path, format: format, width: first.width, height: first.height,
                                     framesPerSecond: framesPerSecond)
        for f in frames { try writer.append(f) }
        try writer.finish()
        return writer.encoderName ?? ""
    }

    /// The encoders this FFmpeg build has for `format`, in the order they would be tried.
    public static func availableEncoders(for format: VideoFormat) -> [String] {
        format.encoderCandidates.filter { findEncoder($0) != nil }
    }

    /// An encoder by FFmpeg name; "h264" means whichever H.264 encoder FFmpeg prefers.
    static func findEncoder(_ name: String) -> UnsafePointer<AVCodec>? {
        name == "h264" ? avcodec_find_encoder(AV_CODEC_ID_H264) : avcodec_find_encoder_by_name(name)
    }

    /// Opens the first MP4 encoder that works (hardware H.264 encoders exist in the list but fail without hardware).
    private func openMP4() throws {
        // yuv420p needs even sizes; odd frames are scaled up by one pixel.
        let (w, h) = ((width + 1) & ~1, (height + 1) & ~1)
        var tried: [String] = []
        var lastError: CaptureError?
        for name in format.encoderCandidates {
            guard let codec = Self.findEncoder(name) else { continue }
            let resolved = String(cString: codec.pointee.name)
            if tried.contains(resolved) { continue }
            tried.append(resolved)
            let options = resolved == "libx264" ? ["crf": "18", "preset": "medium"] : (resolved == "mpeg4" ? ["qscale": "3"] : [:])
            do {
                encoder = try FFmpegEncoder(path: temporary, muxer: "mp4", encoder: codec, pixelFormat: AV_PIX_FMT_YUV420P,
                                            width: w, height: h, framesPerSecond: framesPerSecond, options: options)
                encoderName = resolved
                frame = try makeFrame(AV_PIX_FMT_YUV420P, width: w, height: h)
                return
            } catch let error as CaptureError {
                lastError = error
                unlink(temporary)
            }
        }
        if tried.isEmpty { throw CaptureError.noEncoder(format: "MP4 (H.264 or MPEG-4)", tried: format.encoderCandidates) }
        throw lastError!
    }

    private func makeFrame(_ pixelFormat: AVPixelFormat, width: Int, height: Int) throws -> UnsafeMutablePointer<AVFrame> {
        guard let f = av_frame_alloc() else {
            throw CaptureError.encodeFailed(path: path, operation: "allocating a frame", reason: "out of memory")
        }
        f.pointee.format = pixelFormat.rawValue
        f.pointee.width = Int32(width)
        f.pointee.height = Int32(height)
        let status = av_frame_get_buffer(f, 0)
        guard status >= 0 else {
            var dead: UnsafeMutablePointer<AVFrame>? = f
            av_frame_free(&dead)
            throw CaptureError.encodeFailed(path: path, operation: "allocating a frame", reason: ffmpegErrorString(status))
        }
        return f
    }

    /// RGB24 → YUV420P (BT.601, limited range: what players assume for untagged SD video) and encode.
    private func encodeYUV(_ image: RGBImage) throws {
        guard let frame, let encoder else { return }
        let (w, h) = (Int(frame.pointee.width), Int(frame.pointee.height))
        scaler = sws_getCachedContext(scaler, Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(w), Int32(h),
                                      AV_PIX_FMT_YUV420P, Int32(SWS_BICUBIC), nil, nil, nil)
        guard let scaler else {
            throw CaptureError.encodeFailed(path: path, operation: "converting RGB to YUV", reason: "swscale refused the conversion")
        }
        let status = av_frame_make_writable(frame)  // the encoder may still hold the previous buffer
        guard status >= 0 else { throw CaptureError.encodeFailed(path: path, operation: "encoding", reason: ffmpegErrorString(status)) }
        image.pixels.withUnsafeBufferPointer { rgb in
            var source: [UnsafePointer<UInt8>?] = [rgb.baseAddress, nil, nil, nil]
            var sourceStride: [Int32] = [Int32(width * 3), 0, 0, 0]
            withUnsafeMutablePointer(to: &frame.pointee.data) { data in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { planes in
                    withUnsafeMutablePointer(to: &frame.pointee.linesize) { sizes in
                        sizes.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
                            _ = sws_scale(scaler, &source, &sourceStride, 0, Int32(height), planes, strides)
                        }
                    }
                }
            }
        }
        try encoder.encode(frame)
    }

    /// Quantizes the held frames to one shared palette and encodes them as PAL8.
    private func encodeGIF() throws {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_GIF) else { throw CaptureError.noEncoder(format: "GIF", tried: ["gif"]) }
        let gif = try FFmpegEncoder(path: temporary, muxer: "gif", encoder: codec, pixelFormat: AV_PIX_FMT_PAL8,
                                    width: width, height: height, framesPerSecond: framesPerSecond, options: [:])
        encoder = gif
        encoderName = gif.encoderName
        let palette = GIFPalette(frames: heldFrames)
        for image in heldFrames {
            // A fresh frame each time: the encoder keeps a reference to the previous one for its frame differencing.
            var f: UnsafeMutablePointer<AVFrame>? = try makeFrame(AV_PIX_FMT_PAL8, width: width, height: height)
            defer { av_frame_free(&f) }
            let indices = f!.pointee.data.0!, stride = Int(f!.pointee.linesize.0)
            let table = UnsafeMutableRawPointer(f!.pointee.data.1!).assumingMemoryBound(to: UInt32.self)
            for k in 0..<256 { table[k] = k < palette.colours.count ? palette.colours[k] : 0xFF00_0000 }
            image.pixels.withUnsafeBufferPointer { p in
                for y in 0..<height {
                    for x in 0..<width {
                        let i = (y * width + x) * 3
                        indices[y * stride + x] = palette.index(p[i], p[i + 1], p[i + 2])
                    }
                }
            }
            try gif.encode(f!)
        }
        heldFrames = []
    }
}
