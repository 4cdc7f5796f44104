import Foundation
import TestSupport
import Testing

/// The malformed-model corpus (Tests/Fixtures/malformed, made by Scripts/make-malformed-models) against
/// the release binary: each case ends with one clear error line, or succeeds where the input is merely
/// unusual — never a crash, a signal, a hang or an allocation past its address-space cap.
@Suite struct MalformedModelTests {
    static let dir = Fixtures.root + "/Tests/Fixtures/malformed"
    /// Address-space cap per run (RLIMIT_AS): the engine's default memory limit is half of it.
    static let addressSpace = 4 << 30
    static let timeout = 90.0

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, command: String, expect: String, message: String, what: String
        var testDescription: String { "\(name): \(command.split(separator: " ").first ?? "")" }
    }

    static let cases: [Case] = {
        guard let text = try? String(contentsOfFile: dir + "/cases.tsv", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Case(name: f[0], command: f[1], expect: f[2], message: f[3], what: f.count > 4 ? f[4] : "")
        }
    }()

    @Test func corpusIsPresent() throws {
        #expect(Self.cases.count >= 50, "the malformed-model corpus is missing or small: run Scripts/make-malformed-models")
        #expect(FileManager.default.isExecutableFile(atPath: try CLI.binary()), "no release binary: swift build -c release --product deepvis")
    }

    @Test(arguments: cases) func malformedModel(_ c: Case) throws {
        let out = try ExternalTools.temporaryDirectory("malformed-\(c.name)")
        let fill = ["{model}": "\(Self.dir)/models/\(c.name).onnx", "{image}": Fixtures.photosDir + "/chelsea.jpg",
                    "{images}": Fixtures.photosDir, "{out}": out]
        let args = c.command.split(separator: " ").map { word in fill.reduce(String(word)) { $0.replacingOccurrences(of: $1.key, with: $1.value) } }
        let r = try Self.run(args)
        let errorLines = r.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let context = "\(c.name) (\(c.what)): \(c.command)\nstatus \(r.status) signal \(r.signalled) timed out \(r.timedOut)\nstderr: \(r.stderr.prefix(600))"
        #expect(!r.timedOut, "hung: \(context)")
        #expect(!r.signalled, "killed by a signal: \(context)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Program crashed"), "crashed: \(context)")
        if c.expect == "ok" {
            #expect(r.status == 0, "should succeed: \(context)")
        } else {
            #expect(r.status != 0, "should fail: \(context)")
            #expect(errorLines.count == 1, "want exactly one error line: \(context)")
            #expect(r.stderr.contains(c.message), "want '\(c.message)': \(context)")
        }
    }

    struct Outcome { let status: Int32; let signalled: Bool; let timedOut: Bool; let stderr: String }

    /// Runs the release binary under `prlimit --as` (so a runaway allocation fails instead of swapping) with a deadline.
    static func run(_ args: [String]) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        p.arguments = ["--as=\(addressSpace)", "--", try CLI.binary()] + args
        p.currentDirectoryURL = URL(fileURLWithPath: Fixtures.root)
        var env = ProcessInfo.processInfo.environment
        env["SDL_VIDEODRIVER"] = "dummy"
        p.environment = env
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let data = Box()
        let reader = Thread { data.value = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        let timedOut = p.isRunning
        if timedOut { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        while !data.done { usleep(5_000) }
        return Outcome(status: p.terminationStatus, signalled: !timedOut && p.terminationReason == .uncaughtSignal,
                       timedOut: timedOut, stderr: String(decoding: data.value, as: UTF8.self))
    }

    private final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var stored = Data(), finished = false
        var value: Data {
            get { lock.lock(); defer { lock.unlock() }; return stored }
            set { lock.lock(); stored = newValue; finished = true; lock.unlock() }
        }
        var done: Bool { lock.lock(); defer { lock.unlock() }; return finished }
    }
}
