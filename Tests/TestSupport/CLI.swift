import Foundation

/// Runs the release `deepvis` binary (built by Scripts/test) and captures its output.
public enum CLI {
    public struct Result: Sendable { public let status: Int32; public let stdout: String; public let stderr: String }

    public static var binary: String { Fixtures.root + "/.build/release/deepvis" }

    /// Runs `deepvis args…` from the repository root with a time limit.
    public static func run(_ args: [String], environment: [String: String] = [:], timeout: Double = 300) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
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
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        group.wait()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self),
                      stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

private final class LockedData: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
