import Foundation
import TestSupport
import Testing

/// One row of Tests/Fixtures/malformed/inputs/cases.tsv: a command on a broken (or merely odd) input and what must happen.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// An error (a clear one-line message) rather than success.
    let expectsError: Bool
    /// Text the error line (or, for successes, the output) must contain; nil for "-".
    let message: String?
    let arguments: [String]

    var testDescription: String { name }

    /// The arguments with {in}, {out}, {tiny} and {live} filled in.
    func resolvedArguments(inputs: String, out: String) -> [String] {
        let tiny = ["--model", "{in}/tiny.onnx"]
        let live = ["live", "--headless", "--frames", "2", "--out", "{out}"] + tiny
            + ["--no-ascent", "--first-frame-timeout", "\(MalformedCorpus.firstFrameTimeout)"]
        return arguments.flatMap { $0 == "{tiny}" ? tiny : $0 == "{live}" ? live : [$0] }.map {
            $0.replacingOccurrences(of: "{in}", with: inputs).replacingOccurrences(of: "{out}", with: out)
        }
    }
}

/// The malformed-input corpus: inputs from Scripts/make-malformed-inputs, expectations in cases.tsv.
enum MalformedCorpus {
    static let directory = Fixtures.root + "/Tests/Fixtures/malformed"
    static let inputs = directory + "/inputs"
    /// Seconds `live` waits for a first frame in these cases (the "within N s" of camera-missing).
    static let firstFrameTimeout = 20.0
    /// Per case: a hang is a failure, not a slow test.
    static let timeLimit = 45.0
    /// Address-space cap per case (ulimit -v): a runaway allocation must fail cleanly inside it.
    static let memoryLimitMB = 4096

    /// The parsed table; empty if it is missing (the completeness test then fails with the command).
    static let cases: [MalformedCase] = {
        guard let text = try? String(contentsOfFile: inputs + "/cases.tsv", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.allSatisfy(\.isWhitespace) else { return nil }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count == 4 else { return MalformedCase(name: "malformed row: \(line)", expectsError: true, message: nil, arguments: []) }
            return MalformedCase(name: columns[0], expectsError: columns[1] == "error", message: columns[2] == "-" ? nil : columns[2],
                                 arguments: columns[3].split(separator: " ").map(String.init))
        }
    }()

    /// Lines of a crash, whatever the exit status says.
    static let crashMarkers = ["Fatal error", "Stack dump", "Illegal instruction", "Segmentation fault", "Aborted",
                               "AddressSanitizer", "malloc():", "free():", "corrupted", "Trace/breakpoint trap"]
}

/// Every malformed input against the release binary, under a time limit and a memory cap. One case at a time:
/// a hundred processes at once on a small machine would make the first-frame timeouts measure the load.
@Suite(.serialized) struct MalformedInputTests {
    @Test func corpusIsCompleteAndEveryInputExists() throws {
        let make = "Scripts/make-malformed-inputs"
        try Fixtures.require(MalformedCorpus.inputs + "/cases.tsv", makeWith: make)
        try Fixtures.require(MalformedCorpus.inputs + "/tiny.onnx", makeWith: make)
        let cases = MalformedCorpus.cases
        #expect(cases.count >= 80, "cases.tsv has \(cases.count) cases")
        #expect(Set(cases.map(\.name)).count == cases.count, "case names are unique")
        #expect(cases.filter(\.expectsError).count >= 60 && cases.contains { !$0.expectsError })
        for c in cases {
            for argument in c.arguments where argument.hasPrefix("{in}/") && !argument.contains("does-not-exist") {
                try Fixtures.require(argument.replacingOccurrences(of: "{in}", with: MalformedCorpus.inputs), makeWith: make)
            }
        }
    }

    /// The ranges `validate()` enforces are the ones `--help` states (one table, `OptionRanges`, feeds both).
    @Test func helpStatesTheRanges() throws {
        let expected: [(command: [String], ranges: [String])] = [
            (["classify"], ["How many classes to print (1–1000)", "1–64"]),
            (["bench"], ["Timed runs (1–100000)", "Untimed warm-up runs (0–10000)"]),
            (["live"], ["(0.01–86400)", "1–10000000", "width 320–7680", "height", "(0.1–3600)", "(2–100000)"]),
            (["atlas", "build"], ["channels 0–65535", "(1–100)", "(1–1000000)", "0 ≤ i < n ≤ 100000"]),
            (["optimize"], ["Iterations, 1–100000", "(0–100000; 0: no history)", "(1–120)"]),
            (["invert"], ["(0–1000)"]),
        ]
        for (command, ranges) in expected {
            let r = try CLI.run(command + ["--help"], timeout: 60)
            #expect(r.status == 0)
            // argument-parser wraps help at 80 columns: compare with the line breaks and indentation folded.
            let text = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for range in ranges { #expect(text.contains(range), "\(command.joined(separator: " ")) --help lacks '\(range)'") }
        }
    }

    /// Under `ulimit -v` too low for OpenBLAS's per-thread buffers, OpenBLAS would retry forever: the run must refuse
    /// up front with the limit and the estimate, while a one-image command that fits still works.
    @Test func tooLowAnAddressSpaceLimitIsAnErrorNotAHang() throws {
        let out = try ExternalTools.temporaryDirectory("malformed")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let live = MalformedCase(name: "live-low-ulimit", expectsError: true, message: nil,
                                 arguments: ["{live}", "--video", "{in}/good.gif"])
        let r = try CLI.run(live.resolvedArguments(inputs: MalformedCorpus.inputs, out: out), environment: ["SDL_VIDEODRIVER": "offscreen"],
                            timeout: MalformedCorpus.timeLimit, memoryLimitMB: 1024)
        #expect(!r.timedOut && !r.signaled && r.status == 1, "exit \(r.status)\n\(r.stderr)")
        #expect(r.stderr.contains("deepvis: the address-space limit (ulimit -v) is 1.0 GiB"), "\(r.stderr)")
        let classify = try CLI.run(["classify", "--model", MalformedCorpus.inputs + "/tiny.onnx", MalformedCorpus.inputs + "/good.png"],
                                   timeout: MalformedCorpus.timeLimit, memoryLimitMB: 1024)
        #expect(classify.status == 0, "\(classify.stderr)")
    }

    @Test(arguments: MalformedCorpus.cases)
    func malformedInputGivesOneClearErrorOrWorks(_ c: MalformedCase) throws {
        let out = try ExternalTools.temporaryDirectory("malformed")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let started = Date()
        let r = try CLI.run(c.resolvedArguments(inputs: MalformedCorpus.inputs, out: out), environment: ["SDL_VIDEODRIVER": "offscreen"],
                            timeout: MalformedCorpus.timeLimit, memoryLimitMB: MalformedCorpus.memoryLimitMB)
        let seconds = Date().timeIntervalSince(started)
        let transcript = "exit \(r.status) after \(String(format: "%.1f", seconds)) s\nstdout: \(r.stdout.suffix(600))\nstderr: \(r.stderr.suffix(1500))"
        #expect(!r.timedOut, "\(c.name): still running after \(MalformedCorpus.timeLimit) s\n\(transcript)")
        #expect(!r.signaled, "\(c.name): killed by signal \(r.status)\n\(transcript)")
        let crash = MalformedCorpus.crashMarkers.first { r.stderr.contains($0) }
        #expect(crash == nil, "\(c.name): crash report (\(crash ?? ""))\n\(transcript)")
        if c.expectsError {
            #expect((1...127).contains(r.status), "\(c.name): expected a failing exit status\n\(transcript)")
            let errorLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") || $0.hasPrefix("deepvis: ") }
            #expect(errorLines.count == 1, "\(c.name): expected one error line, got \(errorLines.count)\n\(transcript)")
            if let message = c.message {
                #expect(errorLines.first?.contains(message) == true, "\(c.name): error line lacks '\(message)'\n\(transcript)")
            }
        } else {
            #expect(r.status == 0, "\(c.name): expected success\n\(transcript)")
            if let message = c.message {
                #expect(r.stdout.contains(message) || r.stderr.contains(message), "\(c.name): output lacks '\(message)'\n\(transcript)")
            }
        }
    }
}
