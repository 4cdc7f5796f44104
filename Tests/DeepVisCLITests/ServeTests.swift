import Foundation
import Testing
import TestSupport

/// `deepvis serve` as a user runs it: option checks, and the page in a real browser (headless Chromium + Selenium).
@Suite(.serialized) struct ServeTests {
    @Test func badOptionsGiveOneLineErrors() throws {
        let port = try CLI.run(["serve", "--port", "70000"])
        #expect(port.status != 0 && port.stderr.contains("--port must be between 0 and 65535"))
        let clients = try CLI.run(["serve", "--max-clients", "0"])
        #expect(clients.status != 0 && clients.stderr.contains("--max-clients"))
        let layer = try CLI.run(["serve", "--layer", "nope", "--port", "0", "--seconds", "1"])
        #expect(layer.status != 0 && layer.stderr.contains("unknown layer 'nope'"))
    }

    @Test func printsTheURLAndStopsAfterSeconds() throws {
        let result = try CLI.run(["serve", "--port", "0", "--seconds", "3", "--no-ascent"], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.range(of: #"open http://127\.0\.0\.1:\d+/\n"#, options: .regularExpression) != nil, "\(result.stdout)")
    }

    /// Runs Tests/Browser/serve_browser_test.py (page loads, tiles change, click selects, ascent grows, slider goes back).
    @Test func pageWorksInHeadlessChromium() throws {
        let python = Fixtures.root + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("\(python) is missing: run Scripts/python-env")
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [Fixtures.root + "/Tests/Browser/serve_browser_test.py", "--deepvis", try CLI.binary(),
                       "--out", Fixtures.root + "/out/serve-browser"]
        p.currentDirectoryURL = URL(fileURLWithPath: Fixtures.root)
        let output = Pipe()
        p.standardOutput = output
        p.standardError = output
        try p.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("serve browser test passed"), "\(text)")
    }
}
