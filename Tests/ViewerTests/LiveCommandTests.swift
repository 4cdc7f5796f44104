import Capture
import Foundation
import Imaging
import LivePipeline
import NeuralNetwork
import ONNXImport
import Testing
import TestSupport
import Viewer
import ViewerCore
import Visualization

/// The release `deepvis` binary built from this tree (`CLI.binary()`: Scripts/test builds it) and the real model.
enum LiveCommand {

    /// Runs `deepvis ARGS` in `directory`; returns exit status, stdout and stderr.
    static func run(_ arguments: [String], in directory: String, environment: [String: String]? = nil) throws
        -> (status: Int32, out: String, err: String) {
        _ = try Fixtures.requireDefaultModel()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CLI.binary())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        // Never the user's unit-image store (~/.cache/deepvis): a store of the test run's own.
        var env = environment ?? ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = env["XDG_CACHE_HOME"] ?? NSTemporaryDirectory() + "deepvis-test-cache"
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

extension SDLTests {
    /// `deepvis live` as a user runs it: headless files, no display, a bad model, a soak run.
    @Suite struct LiveCommandTests {
        @Test func headlessFramesShowTheNetworksActivationsOfTheSameSourceFrame() throws {
            let dir = try ExternalTools.temporaryDirectory()
            let clip = try GeneratedMedia.make(GeneratedMedia.kinds[0], in: dir, size: "320x240", seconds: 1)
            let result = try LiveCommand.run(["live", "--headless", "--frames", "3", "--out", dir + "/out", "--video", clip,
                                              "--select", "blocks.15:7", "--size", "1280x720"], in: dir)
            #expect(result.status == 0, "\(result.err)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").sorted()
            #expect(files == ["frame-0000.png", "frame-0001.png", "frame-0002.png", "frames.tsv"])
            let rows = try String(contentsOfFile: dir + "/out/frames.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
            #expect(rows.map { $0.split(separator: "\t")[1] } == ["0", "1", "2"])

            // Frame 2 through Network in this process, drawn by a window of the same size, vs the PNG's tile pane.
            let model = try ONNXModel.load(path: Fixtures.defaultModel)
            let info = try ModelInfo.forModel(at: Fixtures.defaultModel, graph: model.graph)
            let video = try VideoFile(path: clip, pacing: .asFastAsPossible)
            var frame: Frame?
            for _ in 0..<3 { frame = try video.next(timeout: 5) }
            let session = Session(graph: model.graph)
            info.fill(session.input, from: info.networkView(of: try #require(frame).image))
            let layerID = try info.layerID("blocks.15", in: model.graph)
            session.forward(upTo: layerID)
            let layers = PipelineLayer.list(graph: model.graph, info: info)
                .map { LayerInfo(name: $0.name, channels: $0.channels, height: $0.height, width: $0.width) }
            let index = try #require(layers.firstIndex { $0.name == "blocks.15" })
            let values = session.values[layerID].array
            let display = DisplayFrame(input: RGBImage(width: 224, height: 224), layers: layers,
                                       activations: [LayerActivations(layerIndex: index, values: values)])
            let window = try ViewerWindow(configuration: ViewerConfiguration(output: .headless, width: 1280, height: 720),
                                          state: ViewerState(layerIndex: index, selectedUnit: 7))
            let grid = window.layout(for: display).grid
            #expect(grid.count == 320)
            let mosaic = ActivationMosaic(layer: layers[index], values: values, perChannel: false)
            let png = try RGBImage(contentsOfFile: dir + "/out/frame-0002.png")
            var mismatched = 0
            for c in 0..<320 {
                let tile = grid.rect(of: c)
                for (mx, my) in [(1, 1), (3, 3), (5, 2)] {
                    let px = tile.x + Int((Double(mx) + 0.5) * Double(tile.width) / 7)
                    let py = tile.y + Int((Double(my) + 0.5) * Double(tile.height) / 7)
                    if abs(Int(png[px, py].r) - Int(mosaic.level(channel: c, x: mx, y: my))) > 2 { mismatched += 1 }
                }
            }
            // Debug and release builds may round a float differently; a stray level is allowed, a wrong frame is not.
            #expect(mismatched <= 3, "\(mismatched) of 960 probed map pixels differ")
        }

        @Test func withoutADisplayItRendersHeadlessAndSaysSo() throws {
            let dir = try ExternalTools.temporaryDirectory()
            let clip = try GeneratedMedia.make(GeneratedMedia.kinds[0], in: dir, size: "320x240", seconds: 1)
            var environment = ProcessInfo.processInfo.environment
            environment["DISPLAY"] = nil
            environment["WAYLAND_DISPLAY"] = nil
            let result = try LiveCommand.run(["live", "--video", clip, "--frames", "2"], in: dir, environment: environment)
            #expect(result.status == 0, "\(result.err)")
            #expect(result.err.contains("no display"))
            #expect(result.out.contains("no display: rendered 2 frames to deepvis-live-out/; use --headless --frames N --out DIR"))
            #expect(FileManager.default.fileExists(atPath: dir + "/deepvis-live-out/frame-0001.png"))
        }

        @Test func aModelThatFailsToLoadExitsNonZeroWithTheError() throws {
            let dir = try ExternalTools.temporaryDirectory()
            try Data("not an onnx file".utf8).write(to: URL(fileURLWithPath: dir + "/broken.onnx"))
            let result = try LiveCommand.run(["live", "--headless", "--frames", "1", "--model", dir + "/broken.onnx"], in: dir)
            #expect(result.status != 0)
            #expect(result.err.contains("cannot load the model"))
        }

        @Test func devicesSaysWhenThereIsNoCamera() throws {
            let result = try LiveCommand.run(["devices"], in: NSTemporaryDirectory())
            #expect(result.status == 0)
            #expect(result.out.contains("no cameras found") || result.out.contains("/dev/video"))
        }

        /// About 20 s at live pace on a looping clip: the run ends normally and RSS stays flat after warm-up
        /// (the 2-minute version is run by hand; see BENCHMARKS.md).
        @Test func soakRunKeepsMemoryFlat() throws {
            let dir = try ExternalTools.temporaryDirectory()
            let clip = try GeneratedMedia.make(GeneratedMedia.kinds[0], in: dir, size: "640x480", seconds: 3)
            // A short ascent ends within warm-up (rss_warm_mb waits for it), so the rest of the run is steady state: the
            // idle prefetcher optimizing other units into this run's own store, and the top-9 crops filling.
            let result = try LiveCommand.run(["live", "--headless", "--realtime", "--frames", "1200", "--video", clip, "--loop",
                                              "--ascent-iterations", "30", "--cache", dir + "/store",
                                              "--stats-json", dir + "/stats.json"], in: dir)
            #expect(result.status == 0, "\(result.err)")
            // Figures are numbers, except `unit_image_source` (counts by source).
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/stats.json")))
                as? [String: Any])
            let stats = json.compactMapValues { $0 as? Double }
            #expect(json["unit_image_source"] is [String: Int])
            #expect(stats["forward_fps"]! > 1 && stats["probe_fps"]! > 0.2)
            // A bounded cache still fills after warm-up: the shown layer's top-9 crops (≤ 9 · C · 48² · 3 bytes, 20 MB for
            // blocks.15); a leak would keep growing past it (the 2-minute run in BENCHMARKS.md).
            #expect(stats["rss_mb"]! - stats["rss_warm_mb"]! < 40, "RSS grew from \(stats["rss_warm_mb"]!) to \(stats["rss_mb"]!) MB")
            #expect(stats["rss_mb"]! < 500)
        }
    }
}
