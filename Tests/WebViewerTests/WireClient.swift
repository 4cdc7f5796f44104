import Foundation
import Glibc
import Synchronization

/// A TCP connection to the server on loopback, speaking HTTP/1.1 and RFC 6455 WebSocket framing itself.
///
/// Why not a library client: hummingbird-websocket's and HummingbirdTesting's clients pull in swift-nio-ssl and
/// AsyncHTTPClient, which more than double the suite's build time on this 2-core machine. The protocol a browser
/// speaks is small enough to write down here, and the server cannot tell the difference.
final class WireConnection: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw HarnessError("connect to 127.0.0.1:\(port) failed") }
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HarnessError("send failed") }
            sent += n
        }
    }

    /// Reads until `count` bytes are buffered; false at end of stream or timeout.
    private func fill(_ count: Int) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while buffer.count < count {
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return false }
            buffer += chunk[0..<n]
        }
        return true
    }

    func read(_ count: Int) -> [UInt8]? {
        guard fill(count) else { return nil }
        defer { buffer.removeFirst(count) }
        return Array(buffer[0..<count])
    }

    /// The response head: status and lower-cased header names.
    func readHead() -> (status: Int, headers: [String: String])? {
        while true {
            if let end = findHeadEnd() {
                let text = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                let lines = text.components(separatedBy: "\r\n")
                guard let status = lines.first.flatMap({ Int($0.split(separator: " ").dropFirst().first ?? "") }) else { return nil }
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return (status, headers)
            }
            guard fill(buffer.count + 1) else { return nil }
        }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Everything left until the server closes.
    func readToEnd() -> [UInt8] {
        while fill(buffer.count + 1) {}
        defer { buffer.removeAll() }
        return buffer
    }
}

/// An HTTP response as the test sees it.
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: String
}

/// GET `path` with `headers` over a fresh connection (off the cooperative threads).
func httpGet(port: Int, _ path: String, headers: [String: String] = [:]) async throws -> HTTPReply {
    try await offPool { try blockingGet(port: port, path, headers: headers) }
}

private func blockingGet(port: Int, _ path: String, headers: [String: String]) throws -> HTTPReply {
    let connection = try WireConnection(port: port)
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    try connection.write(Array((request + "\r\n").utf8))
    guard let head = connection.readHead() else { throw HarnessError("no HTTP response for \(path)") }
    return HTTPReply(status: head.status, headers: head.headers, body: String(decoding: connection.readToEnd(), as: UTF8.self))
}

/// A WebSocket client: handshake, masked text frames out, frames in (on its own reader thread) into `received`.
final class WireWebSocket: @unchecked Sendable {
    let connection: WireConnection
    let received = Received()
    private let closed = Atomic<Bool>(false)

    /// Connects and upgrades; throws `HandshakeRefused` with the HTTP status when the server says no.
    init(port: Int, path: String = "/ws", headers: [String: String] = [:], receiveBuffer: Int32? = nil, reading: Bool = true) throws {
        connection = try WireConnection(port: port, receiveBuffer: receiveBuffer)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try connection.write(Array((request + "\r\n").utf8))
        guard let head = connection.readHead() else { throw HandshakeRefused(status: 0) }
        guard head.status == 101, head.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" else {
            throw HandshakeRefused(status: head.status)
        }
        if reading {
            let thread = Thread { [self] in readLoop() }
            thread.start()
        }
    }

    /// Sends one masked text frame.
    func send(_ text: String) throws {
        try connection.write(Self.frame(opcode: 1, payload: Array(text.utf8)))
    }

    /// Sends one masked binary frame.
    func sendBinary(_ bytes: [UInt8]) throws {
        try connection.write(Self.frame(opcode: 2, payload: bytes))
    }

    func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        try? connection.write(Self.frame(opcode: 8, payload: [0x03, 0xe8]))
        shutdown(connection.fd, Int32(SHUT_RDWR))
    }

    deinit { close() }

    static func frame(opcode: UInt8, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            out.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            out += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            out.append(0x80 | 127)
            out += (0..<8).reversed().map { UInt8((UInt64(payload.count) >> (8 * UInt64($0))) & 0xff) }
        }
        let mask: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return out
    }

    private func readLoop() {
        var message: [UInt8] = []
        var messageOpcode: UInt8 = 0
        while !closed.load(ordering: .relaxed) {
            guard let head = connection.read(2) else { break }
            let fin = head[0] & 0x80 != 0, opcode = head[0] & 0x0f
            var length = Int(head[1] & 0x7f)
            if length == 126 {
                guard let b = connection.read(2) else { break }
                length = Int(b[0]) << 8 | Int(b[1])
            } else if length == 127 {
                guard let b = connection.read(8) else { break }
                length = b.reduce(0) { $0 << 8 | Int($1) }
            }
            guard let payload = length == 0 ? [] : connection.read(length) else { break }
            switch opcode {
            case 8:
                received.markClosed()
                return
            case 9:
                try? connection.write(Self.frame(opcode: 10, payload: payload))
            case 10:
                break
            default:
                if opcode != 0 { messageOpcode = opcode; message = [] }
                message += payload
                if fin { received.add(opcode: messageOpcode, message) }
            }
        }
        received.markClosed()
    }
}

struct HandshakeRefused: Error {
    var status: Int
}

/// Whether a WebSocket handshake with `path` and `headers` succeeds.
func handshakeSucceeds(port: Int, path: String = "/ws", headers: [String: String] = [:]) async -> Bool {
    await offPool {
        guard let socket = try? WireWebSocket(port: port, path: path, headers: headers, reading: false) else { return false }
        socket.close()
        return true
    }
}

/// Runs blocking socket work on a Dispatch thread: blocking the few cooperative threads would starve the server's
/// own async handlers in this process.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}
