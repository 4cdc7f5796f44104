import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// An open V4L2 node: the one place its syscalls happen, each mapped from errno to a `CaptureError`.
final class V4L2Device {
    let path: String
    private(set) var fd: Int32

    /// Opens through libv4l2 (non-blocking: frames are awaited with `poll`).
    init(path: String) throws {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else { throw V4L2Device.error(errno, path: path, operation: "open") }
        guard (info.st_mode & S_IFMT) == S_IFCHR else {
            throw CaptureError.notACaptureDevice(path: path, reason: "not a device node")
        }
        try V4L2Device.checkAnswersQueryCap(path)
        fd = cv4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw V4L2Device.error(errno, path: path, operation: "open") }
    }

    deinit { close() }

    /// Asks the kernel directly (plain open and ioctl) whether the node is a V4L2 device at all: libv4l2 prints
    /// its own complaints to stderr for one that is not (/dev/null), and the user should see one line, ours.
    private static func checkAnswersQueryCap(_ path: String) throws {
        let probe = Glibc.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard probe >= 0 else { throw error(errno, path: path, operation: "open") }
        var capability = v4l2_capability()
        let status = ioctl(probe, CV4L2_VIDIOC_QUERYCAP, &capability)
        let code = errno
        _ = Glibc.close(probe)
        if status != 0 && (code == ENOTTY || code == EINVAL) { throw error(code, path: path, operation: "VIDIOC_QUERYCAP") }
    }

    /// Closes the node; later requests fail as if it were unplugged.
    func close() {
        if fd >= 0 { _ = cv4l2_close(fd); fd = -1 }
    }

    /// Issues `request` on `argument`, throwing the mapped error (EINTR is retried by the shim).
    func control<T>(_ request: UInt, _ argument: inout T, _ operation: String) throws {
        guard fd >= 0 else { throw CaptureError.deviceDisconnected(path: path) }
        if issue(request, &argument) != 0 {
            throw V4L2Device.error(errno, path: path, operation: operation)
        }
    }

    /// Like `control`, but returns false instead of throwing when the driver answers EINVAL
    /// (how V4L2 ends an enumeration or declines an optional request).
    func query<T>(_ request: UInt, _ argument: inout T, _ operation: String) throws -> Bool {
        guard fd >= 0 else { throw CaptureError.deviceDisconnected(path: path) }
        if issue(request, &argument) == 0 { return true }
        if errno == EINVAL || errno == ENOTTY { return false }
        throw V4L2Device.error(errno, path: path, operation: operation)
    }

    /// VIDIOC_DQBUF; false when no buffer is ready yet (EAGAIN on the non-blocking fd).
    func dequeue(_ buffer: inout v4l2_buffer) throws -> Bool {
        guard fd >= 0 else { throw CaptureError.deviceDisconnected(path: path) }
        if issue(CV4L2_VIDIOC_DQBUF, &buffer) == 0 { return true }
        if errno == EAGAIN { return false }
        throw V4L2Device.error(errno, path: path, operation: "VIDIOC_DQBUF")
    }

    /// The raw ioctl on the bytes of a plain C struct.
    private func issue<T>(_ request: UInt, _ argument: inout T) -> Int32 {
        let fd = self.fd
        return withUnsafeMutableBytes(of: &argument) { cv4l2_ioctl(fd, request, $0.baseAddress) }
    }

    /// Waits until a buffer can be dequeued; false on timeout.
    func waitReadable(timeout: Double) throws -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, min(timeout, 3600)) * 1000)
        while true {
            let n = poll(&descriptor, 1, milliseconds)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw V4L2Device.error(errno, path: path, operation: "poll") }
            if n == 0 { return false }
            if descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                throw CaptureError.deviceDisconnected(path: path)
            }
            return true
        }
    }

    /// Maps errno after a failed request to what it means for the user.
    static func error(_ code: Int32, path: String, operation: String) -> CaptureError {
        switch code {
        case ENOENT: return .noSuchDevice(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path)
        case EBUSY: return .deviceBusy(path: path)
        case ENODEV, ENXIO, EIO:
            // At open the node has no driver behind it; once streaming it means the camera left.
            return operation == "open" ? .noSuchDevice(path: path) : .deviceDisconnected(path: path)
        case ENOTTY where operation == "open" || operation == "VIDIOC_QUERYCAP",
             EINVAL where operation == "VIDIOC_QUERYCAP":
            return .notACaptureDevice(path: path, reason: "it does not answer VIDIOC_QUERYCAP")
        default: return .deviceFailed(path: path, operation: operation, reason: String(cString: strerror(code)))
        }
    }
}

/// A four-character V4L2 pixel-format code as text ("MJPG", "YUYV"; padding spaces dropped).
func fourCCString(_ code: UInt32) -> String {
    var bytes: [UInt8] = []
    for shift in [0, 8, 16, 24] {
        let byte = UInt8(truncatingIfNeeded: code >> UInt32(shift))
        if byte != 0x20 && byte != 0 { bytes.append(byte) }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The text of a fixed-size C char array field (NUL-terminated or full).
func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}
