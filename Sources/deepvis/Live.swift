import ArgumentParser
import Capture
import Foundation
import Imaging
import LivePipeline
import NeuralNetwork
import Viewer
import ViewerCore
import Visualization

struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch every channel of a layer light up live, from a camera, a video or a folder of images.",
        discussion: """
        Sources (c cycles through them): --camera, --video, --images. With none: the first camera, or the sample \
        video (.cache/sample/sample.mp4, made by Scripts/make-sample-video) when there is no camera.
        In the window, h lists the keys. --keys plays presses at frame numbers, e.g. 0:o,10:right*3,12:b.
        --headless --frames N --out DIR draws the same window into DIR/frame-0000.png … with no display; file k \
        shows source frame k (nothing is dropped; frames.tsv lists them) unless --realtime runs at live pace.
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var sources: SourceOptions
    @Option(help: "Layer to show (default: the model manifest's default layer).") var layer: String?
    @Option(help: "Initial selection LAYER:UNIT, e.g. blocks.5:12.") var select: String?
    @Option(help: "Key presses at frame numbers: FRAME:KEY,… e.g. 0:o,10:right*3,12:b.") var keys: String?
    @Flag(help: "Render into PNG files with no display (SDL's offscreen driver).") var headless = false
    @Option(help: "Stop after N frames, \(OptionRanges.text(OptionRanges.frames)) (headless default: 10).") var frames: Int?
    @Option(help: "Where headless frames and `s` screenshots go (headless default: deepvis-live-out).") var out: String?
    @Flag(help: "With --headless: run at live pace, dropping frames as a window would (for benchmarks).") var realtime = false
    @Option(help: "Window size WIDTHxHEIGHT (width \(OptionRanges.text(OptionRanges.windowWidth)), height \(OptionRanges.text(OptionRanges.windowHeight))).")
    var size = "1280x720"
    @Option(help: "Seconds to wait for a source's first frame before giving up (\(OptionRanges.text(OptionRanges.firstFrameTimeout))).")
    var firstFrameTimeout: Double = 10
    @Flag(help: "Synthetic frames: no model, no camera (checks the window).") var demo = false
    @Option(help: "Write the measured statistics as JSON to this file at exit.") var statsJson: String?
    @Option(help: "Gradient-ascent preset for the selected unit (default: the model's best; see `deepvis optimize --list-presets`).")
    var ascent: String?
    @Option(help: "Gradient-ascent steps per selected unit (\(OptionRanges.text(OptionRanges.ascentIterations))).") var ascentIterations = 300
    @Flag(help: "Don't run gradient ascent for the selected unit (saves CPU for the forward pass).") var noAscent = false
    @Option(help: "A `deepvis atlas` output (merged or not): its units' optimized images and top patches are shown at once.")
    var atlas: String?

    /// The live ascent's settings for this model (`--ascent` or the model's default preset), or nil when it is off.
    func ascentSettings(for info: ModelInfo) throws -> AscentSettings? {
        try AscentSettings.live(preset: ascent, iterations: ascentIterations, off: noAscent, info: info)
    }

    func validate() throws {
        if let frames { try OptionRanges.check(frames, OptionRanges.frames, "--frames") }
        if parsedSize == nil {
            throw ValidationError("--size '\(size)': expected WIDTHxHEIGHT with width \(OptionRanges.text(OptionRanges.windowWidth)) "
                                  + "and height \(OptionRanges.text(OptionRanges.windowHeight)), e.g. 1280x720")
        }
        if let select, Self.parseSelect(select) == nil {
            throw ValidationError("--select '\(select)': expected LAYER:UNIT, e.g. blocks.5:12")
        }
        if realtime && !headless { throw ValidationError("--realtime only applies to --headless runs") }
        try OptionRanges.check(firstFrameTimeout, OptionRanges.firstFrameTimeout, "--first-frame-timeout")
        try OptionRanges.check(ascentIterations, OptionRanges.ascentIterations, "--ascent-iterations")
        if let keys { _ = try KeySequence.parse(keys) }
    }

    var parsedSize: (width: Int, height: Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, OptionRanges.windowWidth.contains(parts[0]), OptionRanges.windowHeight.contains(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }

    static func parseSelect(_ text: String) -> (layer: String, unit: Int)? {
        guard let colon = text.lastIndex(of: ":"), let unit = Int(text[text.index(after: colon)...]), unit >= 0,
              colon != text.startIndex else { return nil }
        return (String(text[..<colon]), unit)
    }

    func run() throws {
        var mode = LiveOutput(headless: headless, frames: frames, out: out, realtime: realtime)
        if !headless && !Self.hasDisplay() {
            mode = .noDisplayFallback(frames: frames, out: out)
            warn("no display (DISPLAY and WAYLAND_DISPLAY are unset): rendering \(mode.frames!) frames headless into "
                 + "\(mode.out!)/ instead")
        }
        let scheduled = try KeySequence.parse(keys ?? "")
        if demo { return try runDemo(mode, scheduled) }
        checkAddressSpace(threads: LivePipeline.computingThreads * (modelOptions.threadCount ?? 1))
        let model: (graph: Graph, info: ModelInfo, path: String)
        do {
            model = try modelOptions.load()
        } catch {
            showStartupError("cannot load the model: \(error)", mode)
            fail("cannot load the model: \(error)")
        }
        let runner: LiveRunner
        do {
            runner = try LiveRunner(options: self, mode: mode, model: model, keys: scheduled)
        } catch let error as LiveError {
            fail(error.description)
        }
        try runner.run()
    }

    static func hasDisplay() -> Bool {
        let env = ProcessInfo.processInfo.environment
        return !(env["DISPLAY"] ?? "").isEmpty || !(env["WAYLAND_DISPLAY"] ?? "").isEmpty
    }

    private func runDemo(_ mode: LiveOutput, _ keys: [ScheduledKey]) throws {
        let (w, h) = parsedSize!
        if let out = mode.out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        do {
            try ViewerDemo.run(configuration: ViewerConfiguration(output: mode.headless ? .headless : .window, width: w, height: h),
                               keys: keys, maxFrames: mode.frames, outDirectory: mode.out)
        } catch {
            fail(error.description)
        }
        if let out = mode.out { print("wrote \(mode.frames ?? 0) demo frames to \(out)/") }
    }

    /// A model that will not load: the message goes to a window too (when one can open), shown until closed
    /// or for `--frames` iterations (5 s by default), before the caller exits non-zero.
    private func showStartupError(_ message: String, _ mode: LiveOutput) {
        guard !mode.headless, let (w, h) = parsedSize,
              let window = try? ViewerWindow(configuration: ViewerConfiguration(output: .window, width: w, height: h)) else {
            return
        }
        let frame = DisplayFrame(input: RGBImage(width: 0, height: 0), layers: [], source: "deepvis live", status: message)
        var shown = false
        window.run(maxFrames: frames ?? 300, frames: {
            defer { shown = true }
            return shown ? nil : frame
        })
    }
}

/// Where `deepvis live` draws: a window, or headless files (asked for, or because there is no display).
struct LiveOutput {
    var headless: Bool
    var frames: Int?
    var out: String?
    /// True when the user asked for a window but there is no display.
    var fallback = false

    /// Headless runs write PNGs to `out` (default deepvis-live-out), except --realtime runs without --out (benchmarks).
    init(headless: Bool, frames: Int?, out: String?, realtime: Bool = false) {
        self.headless = headless
        self.frames = headless ? frames ?? 10 : frames
        self.out = headless && !realtime ? out ?? "deepvis-live-out" : out
    }

    static func noDisplayFallback(frames: Int?, out: String?) -> LiveOutput {
        var mode = LiveOutput(headless: true, frames: frames ?? 3, out: out)
        mode.fallback = true
        return mode
    }
}

/// Prints a note to stderr.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("deepvis: \(message)\n".utf8))
}
