import Imaging

/// One captured or decoded picture.
public struct Frame: Sendable, Equatable {
    /// The picture, RGB8.
    public var image: RGBImage
    /// Seconds on the source's own clock: presentation time for files (growing across loops),
    /// time since streaming started for cameras.
    public var timestamp: Double
    /// 0, 1, 2, … in delivery order (keeps counting across loops).
    public var index: Int

    /// A frame from its parts.
    public init(image: RGBImage, timestamp: Double, index: Int) {
        self.image = image
        self.timestamp = timestamp
        self.index = index
    }
}

/// Something that yields frames: a webcam, a video file, a folder of images.
///
/// Contract: `next(timeout:)` blocks at most about `timeout` seconds. It returns a frame, returns
/// `nil` at the **end of the stream** (a file without looping; never for cameras), or throws a
/// `CaptureError` — `.timedOut` when nothing arrived in time (call again), other errors when
/// something is wrong (see `CaptureError.isRecoverable`). After `close()`, `next` throws `.closed`.
/// A source is used by one thread at a time but may be handed from thread to thread.
public protocol FrameSource: AnyObject, Sendable {
    /// What this is, for status bars and logs: "/dev/video0 MJPEG 640x480 @ 30 fps".
    var description: String { get }
    /// The next frame, `nil` at end of stream; see the protocol's contract.
    func next(timeout: Double) throws -> Frame?
    /// Releases the device or file; safe to call twice.
    func close()
}
