import CV4L2

/// One pixel format a camera offers, with its frame sizes and rates.
public struct V4L2Mode: Sendable, Equatable, CustomStringConvertible {
    /// The fourcc, e.g. "MJPG" or "YUYV".
    public let pixelFormat: String
    /// True when libv4l2 converts to this format in user space rather than the camera sending it.
    public let emulated: Bool
    /// Discrete sizes with their frame rates (fps); stepwise ranges are summarized by their extremes.
    public let sizes: [(width: Int, height: Int, rates: [Double])]

    public static func == (a: V4L2Mode, b: V4L2Mode) -> Bool {
        a.pixelFormat == b.pixelFormat && a.emulated == b.emulated && a.sizes.count == b.sizes.count
            && zip(a.sizes, b.sizes).allSatisfy { $0.width == $1.width && $0.height == $1.height && $0.rates == $1.rates }
    }

    public var description: String {
        let list = sizes.map { s in
            "\(s.width)x\(s.height)" + (s.rates.isEmpty ? "" : " @ " + s.rates.map { formatRate($0) }.joined(separator: "/"))
        }
        return "\(pixelFormat)\(emulated ? " (converted)" : ""): " + list.joined(separator: ", ")
    }
}

/// A camera as `deepvis devices` lists it.
public struct V4L2DeviceInfo: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    /// The driver's name for the device, e.g. "HD Pro Webcam C920".
    public let card: String
    public let driver: String
    public let busInfo: String
    public let modes: [V4L2Mode]

    public var description: String {
        (["\(path): \(card) [\(driver), \(busInfo)]"] + modes.map { "  \($0)" }).joined(separator: "\n")
    }
}

func formatRate(_ fps: Double) -> String {
    fps == fps.rounded() ? String(Int(fps)) : String(format2: fps)
}

extension String {
    /// Two decimals without Foundation.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

extension V4L2Device {
    /// Capabilities of the node, checked to be a streaming video-capture device.
    func captureCapabilities() throws -> v4l2_capability {
        var cap = v4l2_capability()
        try control(CV4L2_VIDIOC_QUERYCAP, &cap, "VIDIOC_QUERYCAP")
        // device_caps describes this node; capabilities describes the whole physical device.
        let caps = cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
        guard caps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 else {
            throw CaptureError.notACaptureDevice(path: path, reason: "\(cString(cap.card)) cannot capture video (e.g. a metadata node)")
        }
        guard caps & UInt32(V4L2_CAP_STREAMING) != 0 else {
            throw CaptureError.notACaptureDevice(path: path, reason: "\(cString(cap.card)) does not support streaming I/O")
        }
        return cap
    }

    /// Every pixel format with its sizes and rates (through libv4l2, so converted formats are included).
    func enumerateModes() throws -> [V4L2Mode] {
        var modes: [V4L2Mode] = []
        for index in 0..<64 {
            var desc = v4l2_fmtdesc()
            desc.index = UInt32(index)
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard try query(CV4L2_VIDIOC_ENUM_FMT, &desc, "VIDIOC_ENUM_FMT") else { break }
            modes.append(V4L2Mode(pixelFormat: fourCCString(desc.pixelformat),
                                  emulated: desc.flags & UInt32(V4L2_FMT_FLAG_EMULATED) != 0,
                                  sizes: try enumerateSizes(desc.pixelformat)))
        }
        return modes
    }

    private func enumerateSizes(_ format: UInt32) throws -> [(width: Int, height: Int, rates: [Double])] {
        var sizes: [(width: Int, height: Int, rates: [Double])] = []
        for index in 0..<128 {
            var size = v4l2_frmsizeenum()
            size.index = UInt32(index)
            size.pixel_format = format
            guard try query(CV4L2_VIDIOC_ENUM_FRAMESIZES, &size, "VIDIOC_ENUM_FRAMESIZES") else { break }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                let w = size.discrete.width, h = size.discrete.height
                sizes.append((Int(w), Int(h), try enumerateRates(format, w, h)))
            } else {
                let s = size.stepwise
                for (w, h) in [(s.min_width, s.min_height), (s.max_width, s.max_height)] {
                    sizes.append((Int(w), Int(h), try enumerateRates(format, w, h)))
                }
                break
            }
        }
        return sizes
    }

    private func enumerateRates(_ format: UInt32, _ width: UInt32, _ height: UInt32) throws -> [Double] {
        var rates: [Double] = []
        for index in 0..<64 {
            var interval = v4l2_frmivalenum()
            interval.index = UInt32(index)
            interval.pixel_format = format
            interval.width = width
            interval.height = height
            guard try query(CV4L2_VIDIOC_ENUM_FRAMEINTERVALS, &interval, "VIDIOC_ENUM_FRAMEINTERVALS") else { break }
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                let f = interval.discrete
                if f.numerator > 0 { rates.append(Double(f.denominator) / Double(f.numerator)) }
            } else {
                let fastest = interval.stepwise.min
                if fastest.numerator > 0 { rates.append(Double(fastest.denominator) / Double(fastest.numerator)) }
                break
            }
        }
        return rates
    }
}
