import CFFmpeg
import Imaging

/// One open video stream of a media file: demux, decode, convert to RGB8. Owns all FFmpeg state;
/// `VideoFile` adds pacing, looping and indices on top.
final class FFmpegDecoder {
    let path: String
    let width: Int
    let height: Int
    let codecName: String
    /// Frames per second as the container states it (average, else nominal), or nil.
    let framesPerSecond: Double?
    /// Stream length in seconds, when the container records it.
    let duration: Double?
    /// Frame count from the container's header (AVI, MP4), when it has one.
    let expectedFrames: Int?

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var scaler: OpaquePointer?
    private var scratch: [UInt8] = []
    private let streamIndex: Int32
    private let timeBase: Double
    private let startTime: Int64
    private var draining = false
    /// Decode errors FFmpeg reported and concealed; surfaced once the stream ends.
    private(set) var damage: String?
    private(set) var lastTimestamp: Double?

    init(path: String) throws {
        _ = ffmpegProcessSettings
        self.path = path
        // A throwing init never reaches `deinit` (found by Scripts/fuzz video: every rejected file leaked its
        // demuxer and decoder state), so the state lives in locals, freed here unless the init completes.
        var formatContext: UnsafeMutablePointer<AVFormatContext>?
        var codecContext: UnsafeMutablePointer<AVCodecContext>?
        var opened = false
        defer {
            if !opened {
                avcodec_free_context(&codecContext)
                avformat_close_input(&formatContext)
            }
        }
        var status = avformat_open_input(&formatContext, path, nil, nil)
        guard status >= 0, let context = formatContext else {
            throw CaptureError.notAVideo(path: path, reason: ffmpegErrorString(status))
        }
        status = avformat_find_stream_info(context, nil)
        guard status >= 0 else { throw CaptureError.notAVideo(path: path, reason: ffmpegErrorString(status)) }
        var decoder: UnsafePointer<AVCodec>?
        status = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        guard status >= 0, let decoder else {
            let reason = status >= 0 ? "no decoder for its video stream" : "no video stream (\(ffmpegErrorString(status)))"
            throw CaptureError.notAVideo(path: path, reason: reason)
        }
        streamIndex = status
        let stream = context.pointee.streams[Int(status)]!
        codecContext = avcodec_alloc_context3(decoder)
        guard let codec = codecContext else { throw CaptureError.notAVideo(path: path, reason: "out of memory") }
        avcodec_parameters_to_context(codec, stream.pointee.codecpar)
        codec.pointee.thread_count = 0  // FFmpeg picks, as the ffmpeg CLI does
        status = avcodec_open2(codec, decoder, nil)
        guard status >= 0 else { throw CaptureError.notAVideo(path: path, reason: "cannot open decoder: \(ffmpegErrorString(status))") }
        guard codec.pointee.width > 0, codec.pointee.height > 0 else {
            throw CaptureError.notAVideo(path: path, reason: "video stream has no size")
        }
        guard Int(codec.pointee.width) * Int(codec.pointee.height) <= ImageLimits.maxPixels else {
            throw CaptureError.notAVideo(path: path, reason: "implausible frame size \(codec.pointee.width)x\(codec.pointee.height)")
        }
        width = Int(codec.pointee.width)
        height = Int(codec.pointee.height)
        codecName = String(cString: decoder.pointee.name)
        timeBase = av_q2d(stream.pointee.time_base)
        startTime = stream.pointee.start_time == FFmpegCode.noTimestamp ? 0 : stream.pointee.start_time
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        framesPerSecond = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : nil
        if stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * timeBase
        } else if context.pointee.duration > 0 {
            duration = Double(context.pointee.duration) / Double(AV_TIME_BASE)
        } else {
            duration = nil
        }
        expectedFrames = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        format = formatContext
        self.codec = codecContext
        opened = true
    }

    deinit {
        sws_freeContext(scaler)
        av_frame_free(&frame)
        av_packet_free(&packet)
        avcodec_free_context(&codec)
        avformat_close_input(&format)
    }

    /// The next decoded picture and its presentation time in seconds from the stream start; nil at the end.
    func decodeNext() throws -> (RGBImage, Double)? {
        guard let format, let codec, let packet, let frame else { return nil }
        while true {
            let received = avcodec_receive_frame(codec, frame)
            if received >= 0 {
                defer { av_frame_unref(frame) }
                return (try convert(frame), timestamp(of: frame))
            }
            if received == FFmpegCode.endOfFile { return nil }
            if received != FFmpegCode.again { note(received); continue }
            if draining { return nil }
            let read = av_read_frame(format, packet)
            if read < 0 {
                if read != FFmpegCode.endOfFile { note(read) }
                draining = true
                avcodec_send_packet(codec, nil)  // flush: the decoder hands out what it still holds
                continue
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            let sent = avcodec_send_packet(codec, packet)
            if sent < 0 && sent != FFmpegCode.again { note(sent) }
        }
    }

    /// Jumps to the last keyframe at or before `seconds`; the caller decodes forward from there.
    func seek(to seconds: Double) -> Bool {
        guard let format, let codec else { return false }
        let target = startTime + Int64((seconds / timeBase).rounded(.down))
        guard av_seek_frame(format, streamIndex, target, AVSEEK_FLAG_BACKWARD) >= 0 else { return false }
        avcodec_flush_buffers(codec)
        draining = false
        damage = nil
        lastTimestamp = nil
        return true
    }

    private func note(_ code: Int32) {
        if damage == nil { damage = ffmpegErrorString(code) }
    }

    private func timestamp(of frame: UnsafeMutablePointer<AVFrame>) -> Double {
        var pts = frame.pointee.best_effort_timestamp
        if pts == FFmpegCode.noTimestamp { pts = frame.pointee.pts }
        let seconds: Double
        if pts == FFmpegCode.noTimestamp {
            seconds = (lastTimestamp ?? -1 / (framesPerSecond ?? 25)) + 1 / (framesPerSecond ?? 25)
        } else {
            seconds = Double(pts - startTime) * timeBase
        }
        lastTimestamp = seconds
        return seconds
    }

    /// swscale to RGB24 with the frame's own colour matrix and range, as the ffmpeg CLI's scale filter does.
    private func convert(_ frame: UnsafeMutablePointer<AVFrame>) throws -> RGBImage {
        let w = Int(frame.pointee.width), h = Int(frame.pointee.height)
        // Streams may change size mid-way (H.264 SPS changes): every frame gets the stills' pixel cap.
        guard w > 0, h > 0, w * h <= ImageLimits.maxPixels else {
            throw CaptureError.truncated(path: path, framesDecoded: 0, reason: "frame of implausible size \(w)x\(h)")
        }
        let source = AVPixelFormat(rawValue: frame.pointee.format)
        scaler = sws_getCachedContext(scaler, Int32(w), Int32(h), source, Int32(w), Int32(h), AV_PIX_FMT_RGB24,
                                      Int32(SWS_BILINEAR), nil, nil, nil)
        guard let scaler else {
            throw CaptureError.truncated(path: path, framesDecoded: 0, reason: "cannot convert pixel format \(source.rawValue)")
        }
        let matrix = frame.pointee.colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : Int32(frame.pointee.colorspace.rawValue)
        let fullRange: Int32 = frame.pointee.color_range == AVCOL_RANGE_JPEG ? 1 : 0
        sws_setColorspaceDetails(scaler, sws_getCoefficients(matrix), fullRange, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                                 0, 1 << 16, 1 << 16)
        // A padded scratch buffer: swscale's SIMD paths may write a little past the last pixel.
        let stride = (w * 3 + 63) & ~63
        if scratch.count < stride * h + 64 { scratch = [UInt8](repeating: 0, count: stride * h + 64) }
        scratch.withUnsafeMutableBufferPointer { out in
            var destination: UnsafeMutablePointer<UInt8>? = out.baseAddress
            var destinationStride = Int32(stride)
            withUnsafePointer(to: &frame.pointee.data) { data in
                data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { planes in
                    withUnsafePointer(to: &frame.pointee.linesize) { sizes in
                        sizes.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
                            _ = sws_scale(scaler, planes, strides, 0, Int32(h), &destination, &destinationStride)
                        }
                    }
                }
            }
        }
        let pixels = [UInt8](unsafeUninitializedCapacity: w * h * 3) { out, count in
            scratch.withUnsafeBufferPointer { src in
                for y in 0..<h {
                    (out.baseAddress! + y * w * 3).update(from: src.baseAddress! + y * stride, count: w * 3)
                }
            }
            count = w * h * 3
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }
}
