import Capture

/// A configured frame source the pipeline can (re)open: a camera, a video file, an image folder, or a test fake.
public struct LiveSource: Sendable {
    /// Short name for the status bar, e.g. "camera /dev/video0".
    public var name: String
    /// Opens a fresh `FrameSource`; called at start, when the user cycles to it, and to reconnect.
    public var open: @Sendable () throws -> FrameSource
    /// Keep retrying `open` after a disconnect or a failed open (cameras); otherwise a fault ends the source.
    public var reconnects: Bool
    /// After a damaged or truncated stream, start it again from the beginning (videos with `--loop`).
    public var restartsAfterFault: Bool
    /// A note shown with this source while it plays, e.g. "no camera found — playing the sample video".
    public var note: String

    /// A source named `name` opened by `open`.
    public init(name: String, reconnects: Bool = false, restartsAfterFault: Bool = false, note: String = "",
                open: @escaping @Sendable () throws -> FrameSource) {
        self.name = name
        self.open = open
        self.reconnects = reconnects
        self.restartsAfterFault = restartsAfterFault
        self.note = note
    }

    /// A V4L2 camera; reopened whenever it disappears.
    public static func camera(path: String, width: Int = 640, height: Int = 480) -> LiveSource {
        LiveSource(name: "camera \(path)", reconnects: true) { try V4L2Camera(path: path, width: width, height: height) }
    }

    /// A video file played at its own pace (or as fast as it decodes), looping if asked.
    public static func video(path: String, loop: Bool, pacing: VideoFile.Pacing = .realTime, note: String = "") -> LiveSource {
        LiveSource(name: "video", restartsAfterFault: loop, note: note) {
            try VideoFile(path: path, pacing: pacing, loop: loop)
        }
    }

    /// A folder of images, each shown for `interval` seconds, looping.
    public static func images(path: String, interval: Double = 3) -> LiveSource {
        LiveSource(name: "images") { try ImageFolder(path: path, interval: interval, loop: true) }
    }
}
