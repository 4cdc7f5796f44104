import CV4L2
import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// A webcam through V4L2 (libv4l2), streaming into ≥3 mmap'ed buffers.
///
/// Negotiation prefers MJPEG (small over USB, decoded by TurboJPEG), then YUYV (converted here),
/// then RGB24 (which libv4l2 can synthesize from odd formats). Not exercised against real hardware
/// in CI: see Docs/CAPTURE.md for how it was checked.
public final class V4L2Camera: FrameSource, @unchecked Sendable {
    public let path: String
    /// Negotiated size and pixel format (the driver may not grant the request exactly).
    public private(set) var width = 0, height = 0
    public private(set) var pixelFormat = ""
    /// Negotiated frame rate, or nil when the driver does not say.
    public private(set) var framesPerSecond: Double?

    private let device: V4L2Device
    private var buffers: [UnsafeMutableRawBufferPointer] = []
    private var bytesPerLine = 0
    private var streaming = false
    private var isClosed = false
    private var frameIndex = 0
    private var firstTimestamp: Double?
    private let jpeg = JPEGDecoder()

    /// Opens `path` and starts streaming at (about) `width`×`height` and `fps`.
    public init(path: String = "/dev/video0", width: Int = 640, height: Int = 480, fps: Double = 30) throws {
        self.path = path
        device = try V4L2Device(path: path)
        _ = try device.captureCapabilities()
        try negotiate(width: width, height: height, fps: fps)
        try startStreaming(bufferCount: 4)
    }

    deinit { close() }

    public var description: String {
        "\(path) \(pixelFormat) \(width)x\(height)" + (framesPerSecond.map { " @ \(formatRate($0)) fps" } ?? "")
    }

    /// Every capture device under /dev (video0, video1, …) with its modes; nodes that are not
    /// capture devices (metadata nodes) or cannot be opened are left out.
    public static func listDevices() -> [V4L2DeviceInfo] {
        let names = ((try? listDirectory("/dev")) ?? []).filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
        return names.sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }.compactMap { describe(path: "/dev/\($0)") }
    }

    /// One device's identity and modes, or nil if it is not a usable capture device.
    public static func describe(path: String) -> V4L2DeviceInfo? {
        guard let device = try? V4L2Device(path: path), let cap = try? device.captureCapabilities() else { return nil }
        return V4L2DeviceInfo(path: path, card: cString(cap.card), driver: cString(cap.driver),
                              busInfo: cString(cap.bus_info), modes: (try? device.enumerateModes()) ?? [])
    }

    public func next(timeout: Double) throws -> Frame? {
        guard !isClosed else { throw CaptureError.closed(source: path) }
        while true {
            guard try device.waitReadable(timeout: timeout) else { throw CaptureError.timedOut(source: path, seconds: timeout) }
            var buffer = v4l2_buffer()
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            guard try device.dequeue(&buffer) else { continue }  // woken without a filled buffer
            defer { _ = try? device.control(CV4L2_VIDIOC_QBUF, &buffer, "VIDIOC_QBUF") }
            if buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0 || buffer.bytesused == 0 { continue }  // dropped frame
            let bytes = UnsafeRawBufferPointer(rebasing: buffers[Int(buffer.index)].prefix(Int(buffer.bytesused)))
            let image: RGBImage
            do {
                image = try convert(bytes)
            } catch is ImagingError {
                continue  // a damaged MJPEG frame: wait for the next one rather than fail the stream
            }
            let time = Double(buffer.timestamp.tv_sec) + Double(buffer.timestamp.tv_usec) / 1e6
            if firstTimestamp == nil { firstTimestamp = time }
            defer { frameIndex += 1 }
            return Frame(image: image, timestamp: time - firstTimestamp!, index: frameIndex)
        }
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = try? device.control(CV4L2_VIDIOC_STREAMOFF, &type, "VIDIOC_STREAMOFF")
        }
        for buffer in buffers { _ = cv4l2_munmap(buffer.baseAddress, buffer.count) }
        buffers = []
        device.close()
    }

    private func convert(_ bytes: UnsafeRawBufferPointer) throws -> RGBImage {
        switch pixelFormat {
        case "MJPG", "JPEG": return try jpeg.decode(bytes, source: path, tolerateWarnings: true)
        case "YUYV": return PixelConversion.yuyvToRGB(bytes, width: width, height: height, bytesPerLine: bytesPerLine)
        default: return PixelConversion.rgb24ToRGB(bytes, width: width, height: height, bytesPerLine: bytesPerLine)
        }
    }

    /// Picks the best format the camera offers, sets size and rate, and reads back what was granted.
    private func negotiate(width: Int, height: Int, fps: Double) throws {
        let offered = try device.enumerateModes()
        let preference: [(String, UInt32)] = [("MJPG", CV4L2_PIX_FMT_MJPEG), ("JPEG", CV4L2_PIX_FMT_JPEG),
                                             ("YUYV", CV4L2_PIX_FMT_YUYV), ("RGB3", CV4L2_PIX_FMT_RGB24)]
        guard let choice = preference.first(where: { p in offered.contains { $0.pixelFormat == p.0 } }) else {
            throw CaptureError.noUsableFormat(path: path, offered: offered.map(\.pixelFormat))
        }
        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.width = UInt32(width)
        format.fmt.pix.height = UInt32(height)
        format.fmt.pix.pixelformat = choice.1
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        try device.control(CV4L2_VIDIOC_S_FMT, &format, "VIDIOC_S_FMT")
        guard format.fmt.pix.pixelformat == choice.1 else {
            throw CaptureError.noUsableFormat(path: path, offered: offered.map(\.pixelFormat))
        }
        self.width = Int(format.fmt.pix.width)
        self.height = Int(format.fmt.pix.height)
        self.pixelFormat = choice.0
        self.bytesPerLine = Int(format.fmt.pix.bytesperline)

        var parameters = v4l2_streamparm()
        parameters.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        parameters.parm.capture.timeperframe = v4l2_fract(numerator: 1000, denominator: UInt32((fps * 1000).rounded()))
        // Frame-rate control is optional in V4L2; a camera without it keeps its own rate.
        if try device.query(CV4L2_VIDIOC_S_PARM, &parameters, "VIDIOC_S_PARM"),
           parameters.parm.capture.timeperframe.numerator > 0 {
            let t = parameters.parm.capture.timeperframe
            framesPerSecond = Double(t.denominator) / Double(t.numerator)
        }
    }

    /// Requests, maps and queues the buffers, then starts the stream.
    private func startStreaming(bufferCount: Int) throws {
        var request = v4l2_requestbuffers()
        request.count = UInt32(bufferCount)
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        try device.control(CV4L2_VIDIOC_REQBUFS, &request, "VIDIOC_REQBUFS")
        guard request.count >= 2 else {
            throw CaptureError.deviceFailed(path: path, operation: "VIDIOC_REQBUFS", reason: "only \(request.count) buffer granted")
        }
        for index in 0..<request.count {
            var buffer = v4l2_buffer()
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            buffer.index = index
            try device.control(CV4L2_VIDIOC_QUERYBUF, &buffer, "VIDIOC_QUERYBUF")
            guard let start = cv4l2_mmap(device.fd, Int(buffer.length), Int64(buffer.m.offset)) else {
                throw V4L2Device.error(errno, path: path, operation: "mmap")
            }
            buffers.append(UnsafeMutableRawBufferPointer(start: start, count: Int(buffer.length)))
            try device.control(CV4L2_VIDIOC_QBUF, &buffer, "VIDIOC_QBUF")
        }
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        try device.control(CV4L2_VIDIOC_STREAMON, &type, "VIDIOC_STREAMON")
        streaming = true
    }
}

/// Directory entries (names only) via POSIX, so Capture needs no Foundation for this.
func listDirectory(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { throw CaptureError.fileNotFound(path: path) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}
