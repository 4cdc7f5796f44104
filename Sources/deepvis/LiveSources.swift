import ArgumentParser
import Capture
import Foundation
import LivePipeline

/// The frame-source options `deepvis live` and `deepvis serve` share, validated in one place.
struct SourceOptions: ParsableArguments {
    @Option(help: "Camera device, e.g. /dev/video0 (default: the first camera found).") var camera: String?
    @Option(help: "A video file (any format FFmpeg reads).") var video: String?
    @Flag(help: "Play --video in a loop.") var loop = false
    @Option(help: "A folder of JPEG or PNG images.") var images: String?
    @Option(help: "Seconds per image with --images (\(OptionRanges.text(OptionRanges.interval))).") var interval: Double = 3

    func validate() throws {
        try OptionRanges.check(interval, OptionRanges.interval, "--interval")
    }
}

/// Which frame sources `deepvis live` plays, in the order `c` cycles through them.
struct LiveSourceChoice {
    var sources: [LiveSource]

    /// The sources named on the command line; with none, the first camera (then the sample video), or the
    /// sample video alone with a note when there is no camera.
    static func resolve(_ options: SourceOptions, pacing: VideoFile.Pacing) throws -> LiveSourceChoice {
        var sources: [LiveSource] = []
        if let camera = options.camera { sources.append(.camera(path: camera)) }
        if let video = options.video { sources.append(.video(path: video, loop: options.loop, pacing: pacing)) }
        if let images = options.images { sources.append(.images(path: images, interval: options.interval)) }
        if sources.isEmpty {
            if let first = V4L2Camera.listDevices().first {
                sources.append(.camera(path: first.path))
                if let sample = samplePath() { sources.append(.video(path: sample, loop: true, pacing: pacing)) }
            } else {
                guard let sample = samplePath() else {
                    throw LiveError("no camera found and the sample video is missing: run Scripts/make-sample-video, "
                                    + "or pass --video FILE or --images DIR")
                }
                sources.append(.video(path: sample, loop: true, pacing: pacing,
                                      note: "no camera — sample video"))
            }
        }
        try checkOpenable(sources)
        return LiveSourceChoice(sources: sources)
    }

    /// Opens each source once so a wrong path fails now, with its message, rather than in the status bar.
    /// A camera that is missing, busy or unplugged is left to the pipeline, which retries it until it appears;
    /// a node that can never be a camera (/dev/null, a regular file, no usable format) fails here.
    private static func checkOpenable(_ sources: [LiveSource]) throws {
        for source in sources {
            do {
                try source.open().close()
            } catch let error as CaptureError {
                if source.reconnects, error.isRecoverable || error.isMissingDevice { continue }
                throw LiveError(error.description)
            }
        }
    }

    /// `.cache/sample/sample.mp4` in the current directory or beside the executable (as for the default model).
    static func samplePath() -> String? {
        let name = ".cache/sample/sample.mp4"
        var candidates = [FileManager.default.currentDirectoryPath]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 { candidates.append(dir.path); dir.deleteLastPathComponent() }
        return candidates.map { $0 + "/" + name }.first { FileManager.default.fileExists(atPath: $0) }
    }
}

/// A `deepvis live` start-up problem, printed without a stack trace.
struct LiveError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension CaptureError {
    /// A camera that is not there (yet): worth retrying, unlike a node that is not a camera at all.
    var isMissingDevice: Bool {
        switch self {
        case .noSuchDevice, .permissionDenied: return true
        default: return false
        }
    }
}
