import Foundation

/// A reference tool (ffmpeg, ffprobe, the test venv's Python) that a test needs but could not run.
public struct ExternalToolError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs the command-line tools that produce reference data for media tests.
public enum ExternalTools {
    /// The package's root directory, found from this source file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Fixtures/<name>`.
    public static func fixture(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures/\(name)").path
    }

    /// A new empty directory under the system temporary directory.
    public static func temporaryDirectory(_ label: String = "deepvis") throws -> String {
        let path = NSTemporaryDirectory() + "\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The absolute path of `tool` on PATH, or an error saying how to install it (tests fail, never skip).
    public static func require(_ tool: String, install hint: String = "apt-get install ffmpeg") throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ExternalToolError("\(tool) not found on PATH; this test needs it as a reference (\(hint))")
    }

    /// The test venv's Python with Pillow/numpy/scikit-image: `$DEEPVIS_PYTHON`, else `<root>/.venv/bin/python`.
    public static func python() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["DEEPVIS_PYTHON"] { return explicit }
        let venv = packageRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw ExternalToolError("\(venv) missing; create the test venv with Scripts/python-env "
                + "(or: python3 -m venv .venv && .venv/bin/pip install pillow numpy scikit-image)")
        }
        return venv
    }

    /// Runs `executable` with `arguments`; returns stdout, throws with stderr's tail on a non-zero exit.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // Files, not pipes: a chatty stderr can't fill a pipe and deadlock the wait.
        let dir = try temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["out", "err"] { _ = FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: nil) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close(); try err.close()
        let stdout = FileManager.default.contents(atPath: dir + "/out") ?? Data()
        guard process.terminationStatus == 0 else {
            let stderr = String(decoding: FileManager.default.contents(atPath: dir + "/err") ?? Data(), as: UTF8.self)
            throw ExternalToolError("\(executable) \(arguments.joined(separator: " ")) exited "
                + "\(process.terminationStatus): \(stderr.suffix(800))")
        }
        return stdout
    }

    /// Runs a tool found on PATH.
    @discardableResult
    public static func run(tool: String, _ arguments: [String]) throws -> Data {
        try run(require(tool), arguments)
    }
}

/// Per-channel comparison of two byte images of equal size.
public struct ByteDifference: CustomStringConvertible, Sendable {
    public let mean: Double
    public let max: Int
    /// Compares two equally long byte buffers.
    public init(_ a: [UInt8], _ b: [UInt8]) {
        precondition(a.count == b.count && !a.isEmpty, "comparing \(a.count) bytes with \(b.count)")
        var total = 0, largest = 0
        for i in 0..<a.count {
            let d = abs(Int(a[i]) - Int(b[i]))
            total += d
            largest = Swift.max(largest, d)
        }
        mean = Double(total) / Double(a.count)
        max = largest
    }
    public var description: String { "mean abs diff \(mean), max \(max)" }
}
