#if canImport(Glibc)
import Glibc
#endif
import CFFmpeg

/// One video stream being encoded and muxed into a file: owns every FFmpeg object of the output.
/// `VideoWriter` adds pixel conversion, the choice of encoder and the atomic rename on top.
final class FFmpegEncoder {
    let path: String
    let encoderName: String
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var nextTimestamp: Int64 = 0

    /// Opens `encoder` for `width`×`height` frames of `pixelFormat` and writes the `muxer`'s header to `path`.
    init(path: String, muxer: String, encoder: UnsafePointer<AVCodec>, pixelFormat: AVPixelFormat, width: Int, height: Int,
         framesPerSecond: Int, options: [String: String]) throws {
        _ = ffmpegProcessSettings
        self.path = path
        encoderName = String(cString: encoder.pointee.name)
        var context: UnsafeMutablePointer<AVFormatContext>?
        var status = avformat_alloc_output_context2(&context, nil, muxer, path)
        guard status >= 0, let context else { throw Self.failure(path, "opening the \(muxer) muxer", status) }
        format = context
        guard let codec = avcodec_alloc_context3(encoder), let stream = avformat_new_stream(context, nil) else {
            throw CaptureError.encodeFailed(path: path, operation: "allocating the encoder", reason: "out of memory")
        }
        self.codec = codec
        self.stream = stream
        codec.pointee.width = Int32(width)
        codec.pointee.height = Int32(height)
        codec.pointee.pix_fmt = pixelFormat
        codec.pointee.time_base = AVRational(num: 1, den: Int32(framesPerSecond))
        codec.pointee.framerate = AVRational(num: Int32(framesPerSecond), den: 1)
        if context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            codec.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
        }
        var dictionary: OpaquePointer?
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { av_dict_set(&dictionary, key, value, 0) }
        status = avcodec_open2(codec, encoder, &dictionary)
        av_dict_free(&dictionary)
        guard status >= 0 else { throw Self.failure(path, "opening encoder \(encoderName)", status) }
        stream.pointee.time_base = codec.pointee.time_base
        stream.pointee.avg_frame_rate = codec.pointee.framerate
        status = avcodec_parameters_from_context(stream.pointee.codecpar, codec)
        guard status >= 0 else { throw Self.failure(path, "configuring the stream", status) }
        status = avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE)
        guard status >= 0 else { throw Self.failure(path, "creating the file", status) }
        status = avformat_write_header(context, nil)
        guard status >= 0 else { throw Self.failure(path, "writing the \(muxer) header", status) }
        packet = av_packet_alloc()
    }

    deinit {
        if let format, format.pointee.pb != nil { avio_closep(&format.pointee.pb) }
        av_packet_free(&packet)
        avcodec_free_context(&codec)
        avformat_free_context(format)
    }

    /// Encodes one frame (its pixels already in the encoder's format); pts counts frames.
    func encode(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        frame.pointee.pts = nextTimestamp
        nextTimestamp += 1
        try send(frame)
    }

    /// Drains the encoder, writes the trailer and closes the file.
    func finish() throws {
        try send(nil)
        guard let format else { return }
        let status = av_write_trailer(format)
        guard status >= 0 else { throw Self.failure(path, "writing the trailer", status) }
        avio_closep(&format.pointee.pb)
    }

    private func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        guard let codec, let packet, let format, let stream else { return }
        var status = avcodec_send_frame(codec, frame)
        guard status >= 0 else { throw Self.failure(path, "encoding frame \(nextTimestamp - 1)", status) }
        while true {
            status = avcodec_receive_packet(codec, packet)
            if status == FFmpegCode.again || status == FFmpegCode.endOfFile { return }
            guard status >= 0 else { throw Self.failure(path, "encoding", status) }
            packet.pointee.stream_index = stream.pointee.index
            av_packet_rescale_ts(packet, codec.pointee.time_base, stream.pointee.time_base)
            status = av_interleaved_write_frame(format, packet)  // takes the packet's reference
            guard status >= 0 else { throw Self.failure(path, "writing a packet", status) }
        }
    }

    private static func failure(_ path: String, _ operation: String, _ code: Int32) -> CaptureError {
        .encodeFailed(path: path, operation: operation, reason: ffmpegErrorString(code))
    }
}
