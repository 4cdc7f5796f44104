import Foundation
import Imaging
import Testing
import TestSupport

/// The live viewer's unit pane with the real model and the sample video, through the release binary: the ascent
/// equals `deepvis optimize`, revisits come from the store, `--atlas` serves units, bad paths are reported.
@Suite(.serialized) struct UnitPaneCommandTests {
    static let video = Fixtures.root + "/.cache/sample/sample.mp4"

    func stats(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "no --stats-json at \(path)")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func sources(_ stats: [String: Any]) -> [String: Int] { stats["unit_image_source"] as? [String: Int] ?? [:] }

    @Test func liveAscentEqualsOptimizeBitForBitAndARevisitComesFromTheStore() throws {
        let dir = try ExternalTools.temporaryDirectory("unit-pane")
        let optimized = try CLI.run(["optimize", "--layer", "blocks.1", "--unit", "3", "--preset", "paper-3", "--iterations", "8", "--threads", "1",
                                     "--no-cache", "--out", dir + "/optimize"])
        #expect(optimized.status == 0, "\(optimized.stderr)")
        let live = ["live", "--headless", "--frames", "30", "--video", Self.video, "--select", "blocks.1:3",
                    "--ascent", "paper-3", "--ascent-iterations", "8", "--threads", "1", "--cache", dir + "/store"]
        let first = try CLI.run(live + ["--out", dir + "/live1", "--stats-json", dir + "/s1.json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(sources(try stats(dir + "/s1.json"))["computed"] == 1)
        let entries = FileManager.default.enumerator(atPath: dir + "/store")?.allObjects as? [String] ?? []
        let stored = try #require(entries.first { $0.hasSuffix("/blocks.1-3-paper-3-s0.png") }, "\(entries)")
        // The same preset, seed, iterations and threads: the same pixels as `deepvis optimize`.
        for suffix in [".png", "-seen.png"] {
            let a = try ImageCodec.read(path: dir + "/store/" + stored.replacingOccurrences(of: ".png", with: suffix))
            let b = try ImageCodec.read(path: dir + "/optimize/blocks.1-3-paper-3-s0" + suffix)
            #expect(a == b, "\(suffix)")
        }
        let second = try CLI.run(live + ["--out", dir + "/live2", "--stats-json", dir + "/s2.json"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(sources(try stats(dir + "/s2.json")) == ["store": 1, "atlas": 0, "computed": 0])
    }

    /// The pane's optimized image grows while the ascent runs: frames that show later steps show other pictures
    /// (frames.tsv says which step each frame shows and where the image is drawn).
    @Test func theAscentImageChangesFromFrameToFrameWhileItRuns() throws {
        let dir = try ExternalTools.temporaryDirectory("unit-pane-grow")
        let r = try CLI.run(["live", "--headless", "--frames", "40", "--video", Self.video, "--select", "blocks.1:3", "--ascent", "paper-3",
                             "--ascent-iterations", "80", "--no-cache", "--out", dir + "/out"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOfFile: dir + "/out/frames.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        var shown: [Int: [UInt8]] = [:]  // step → the pixels of the pane's optimized image in the first frame showing it
        for row in rows where row.count == 8 {
            guard let step = Int(row[6]), step > 0, shown[step] == nil else { continue }
            let rect = row[7].split(separator: ",").compactMap { Int($0) }
            try #require(rect.count == 4 && rect[2] > 0 && rect[3] > 0, "ascent_rect '\(row[7])'")
            let frame = try ImageCodec.read(path: dir + "/out/" + row[0])
            var pixels: [UInt8] = []
            for y in rect[1]..<(rect[1] + rect[3]) {
                let start: Int = (y * frame.width + rect[0]) * 3
                pixels += frame.pixels[start..<(start + rect[2] * 3)]
            }
            shown[step] = pixels
        }
        let steps = shown.keys.sorted()
        #expect(steps.count >= 3, "steps shown: \(steps)")
        // History images come every 2 steps of 80; three steps shown should give at least two pictures, more steps more.
        #expect(Set(shown.values).count >= min(3, steps.count - 1), "\(Set(shown.values).count) pictures over steps \(steps)")
    }

    /// At live pace, a click on a unit the store holds shows its finished image on the first frame drawn after the
    /// click (the UI reads the final image itself; waiting for the ascent thread's full read cost a frame or more).
    @Test func aStoredUnitShowsOnTheFirstFrameAfterTheClick() throws {
        let dir = try ExternalTools.temporaryDirectory("unit-pane-instant")
        let optimized = try CLI.run(["optimize", "--layer", "blocks.1", "--units", "3,4", "--preset", "paper-3", "--iterations", "8",
                                     "--cache", dir + "/store", "--out", dir + "/optimize"])
        #expect(optimized.status == 0, "\(optimized.stderr)")
        let r = try CLI.run(["live", "--headless", "--realtime", "--frames", "40", "--video", Self.video, "--select", "blocks.1:3",
                             "--ascent", "paper-3", "--ascent-iterations", "8", "--cache", dir + "/store", "--keys", "30:right",
                             "--out", dir + "/out"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOfFile: dir + "/out/frames.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let clicked = try #require(rows.first { $0.count == 8 && $0[4] == "4" }, "no frame shows unit 4")
        #expect(clicked[6] == "8", "the first frame of unit 4 (\(clicked[0])) shows ascent step \(clicked[6]), not the stored image")
    }

    @Test func atlasServesItsUnitsAndAUnitOutsideItComputes() throws {
        let dir = try ExternalTools.temporaryDirectory("unit-pane-atlas")
        let atlas = try CLI.run(["atlas", "--layer", "blocks.1", "--units", "0-1", "--preset", "paper-3", "--video", Self.video, "--every", "50",
                                 "--max-frames", "2", "--iterations", "2", "--patches", "2", "--no-cache", "--out", dir + "/atlas"])
        #expect(atlas.status == 0, "\(atlas.stderr)")
        let live = try CLI.run(["live", "--headless", "--frames", "14", "--video", Self.video, "--select", "blocks.1:1",
                                "--atlas", dir + "/atlas", "--ascent", "paper-3", "--ascent-iterations", "2", "--no-cache", "--keys", "6:right*3",
                                "--out", dir + "/live", "--stats-json", dir + "/s.json"])
        #expect(live.status == 0, "\(live.stderr)")
        let counts = sources(try stats(dir + "/s.json"))
        #expect(counts["atlas"] == 1 && (counts["computed"] ?? 0) >= 1 && counts["store"] == 0, "\(counts)")

        // Another model's atlas: a clear message, and the viewer still runs.
        let other = dir + "/other"
        try FileManager.default.copyItem(atPath: dir + "/atlas", toPath: other)
        let settings = try String(contentsOfFile: other + "/atlas.json", encoding: .utf8)
            .replacingOccurrences(of: "efficientnet-lite0.onnx", with: "resnet18.onnx")
        try settings.write(toFile: other + "/atlas.json", atomically: true, encoding: .utf8)
        let wrong = try CLI.run(["live", "--headless", "--frames", "2", "--video", Self.video, "--no-ascent", "--no-cache",
                                 "--atlas", other, "--out", dir + "/wrong"])
        #expect(wrong.status == 0 && wrong.stderr.contains("was made with resnet18.onnx"), "\(wrong.stderr)")
    }

    @Test func badCacheAndAtlasPathsAreReportedAndTheViewerRuns() throws {
        let dir = try ExternalTools.temporaryDirectory("unit-pane-bad")
        let file = dir + "/a-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let cases: [([String], String)] = [
            (["--cache", file], "is not a directory"),
            (["--cache", file + "/below"], "cannot create cache directory"),
            (["--atlas", dir + "/missing"], "does not exist"),
            (["--atlas", file], "is not a directory"),
            (["--atlas", dir], "is not a deepvis atlas"),
        ]
        for (extra, message) in cases {
            let r = try CLI.run(["live", "--headless", "--frames", "2", "--video", Self.video, "--no-ascent",
                                 "--out", dir + "/out"] + extra)
            #expect(r.status == 0 && r.stderr.contains(message), "\(extra): \(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: dir + "/out/frame-0001.png"), "\(extra): the viewer ran")
        }
    }
}
