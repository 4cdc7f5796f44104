import Foundation

/// Runs the release `deepvis` binary built from this tree and captures its output.
public enum CLI {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// Killed by a signal (a trap, an abort, a segfault) rather than exiting.
        public var signaled = false
        /// Still running at the time limit (and then terminated).
        public var timedOut = false
    }

    /// Why the binary may not be used: missing, or older than the sources it should have been built from.
    public struct StaleBinary: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// The binary under test: `$DEEPVIS_TEST_BINARY` (which Scripts/test sets to the binary it has just built),
    /// else `.build/release/deepvis` if it is newer than every file under Sources/ and Package.swift.
    /// Throws otherwise, so a stale binary from another checkout or an old build never passes for this tree.
    public static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["DEEPVIS_TEST_BINARY"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw StaleBinary(description: "DEEPVIS_TEST_BINARY=\(path) is not an executable file")
            }
            return path
        }
        let path = Fixtures.root + "/.build/release/deepvis"
        let make = "run Scripts/test, or swift build -c release --product deepvis"
        guard let built = modificationDate(path) else {
            throw StaleBinary(description: "\(path) is missing: \(make)")
        }
        if let newer = newestSource(), newer.date > built {
            throw StaleBinary(description: "\(path) is older than \(newer.path): \(make)")
        }
        return path
    }

    /// Runs `deepvis args…` from the repository root with a time limit and, if given, an address-space cap
    /// (`ulimit -v`, so a runaway allocation fails inside the child instead of swapping the machine).
    public static func run(_ args: [String], environment: [String: String] = [:], timeout: Double = 300,
                           memoryLimitMB: Int? = nil) throws -> Result {
        let exe = try binary()
        let p = Process()
        if let memoryLimitMB {
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", "ulimit -v \(memoryLimitMB * 1024) && exec \"$0\" \"$@\"", exe] + args
        } else {
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = args
        }
        p.currentDirectoryURL = URL(fileURLWithPath: Fixtures.root)
        var env = ProcessInfo.processInfo.environment
        // Never the user's unit-image store (~/.cache/deepvis): a store of the test run's own.
        env["XDG_CACHE_HOME"] = NSTemporaryDirectory() + "deepvis-test-cache"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read while it runs so a full pipe never blocks the child.
        let outData = LockedData(), errData = LockedData()
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async { sink.set(pipe.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        let timedOut = p.isRunning
        if timedOut { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        group.wait()
        var result = Result(status: p.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self),
                            stderr: String(decoding: errData.get(), as: UTF8.self))
        result.signaled = p.terminationReason == .uncaughtSignal
        result.timedOut = timedOut
        return result
    }

    private static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// The most recently modified file among Sources/ and Package.swift.
    private static func newestSource() -> (path: String, date: Date)? {
        var newest: (path: String, date: Date)?
        func consider(_ path: String) {
            guard let date = modificationDate(path), date > newest?.date ?? .distantPast else { return }
            newest = (path, date)
        }
        consider(Fixtures.root + "/Package.swift")
        let sources = Fixtures.root + "/Sources"
        for file in FileManager.default.enumerator(atPath: sources)?.compactMap({ $0 as? String }) ?? [] {
            consider(sources + "/" + file)
        }
        return newest
    }
}

private final class LockedData: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
