import Foundation

/// The fake V4L2 camera (Tests/FakeV4L2, an LD_PRELOAD library) and the frames it serves.
///
/// The library must be loaded when a process starts, so the real `V4L2Camera` runs in a child: the release
/// `deepvis` with `environment(...)` added to its environment. Frames come from the sample video through
/// ffmpeg; the reference pixels are ffmpeg's own decode of the very bytes the fake serves.
public enum FakeV4L2 {
    /// Where Scripts/build-fake-v4l2 puts the library.
    public static var library: String { Fixtures.root + "/.build/fake-v4l2/libfake_v4l2.so" }
    /// The fake node; nothing exists at this path on disk.
    public static let device = "/dev/video7"

    /// The library, or an error naming the command that builds it (tests fail, never skip).
    public static func requireLibrary() throws -> String {
        guard FileManager.default.fileExists(atPath: library) else {
            throw ExternalToolError("\(library) missing: build it with Scripts/build-fake-v4l2 (Scripts/test does)")
        }
        return library
    }

    /// The frames one fake camera serves, as files, with ffmpeg's RGB24 decode of each format.
    public struct Clip: Sendable {
        public let width: Int, height: Int, count: Int
        /// Raw YUYV 4:2:2 frames back to back, and the same pictures as concatenated baseline JPEGs (4:2:2).
        public let yuyvPath: String, mjpegPath: String
        /// ffmpeg's decode to packed RGB24 of every frame of each file, concatenated.
        public let yuyvRGB: [UInt8], mjpegRGB: [UInt8]

        /// Frame `k` of a reference (looping, as the fake does).
        public func frame(_ k: Int, of rgb: [UInt8]) -> [UInt8] {
            let size = width * height * 3, start = (k % count) * size
            return Array(rgb[start..<start + size])
        }
    }

    /// Frames 0, 100, 200, … of the sample video (one per photograph in it, so consecutive frames differ
    /// clearly), scaled to `width`×`height`, written into `directory`.
    public static func makeClip(in directory: String, width: Int = 320, height: Int = 240, count: Int = 5) throws -> Clip {
        let sample = Fixtures.root + "/.cache/sample/sample.mp4"
        guard FileManager.default.fileExists(atPath: sample) else {
            throw ExternalToolError("\(sample) missing: make it with Scripts/make-sample-video (Scripts/test does)")
        }
        let pick = ["-v", "error", "-y", "-i", sample, "-vf", "select='not(mod(n\\,100))',scale=\(width):\(height)",
                    "-fps_mode", "passthrough", "-frames:v", String(count)]
        let yuyv = directory + "/frames.yuyv", mjpeg = directory + "/frames.mjpeg"
        try ExternalTools.run(tool: "ffmpeg", pick + ["-pix_fmt", "yuyv422", "-f", "rawvideo", yuyv])
        try ExternalTools.run(tool: "ffmpeg", pick + ["-pix_fmt", "yuvj422p", "-c:v", "mjpeg", "-q:v", "3", "-f", "mjpeg", mjpeg])
        // Accurate rounding with each pair's chroma for both pixels (ffmpeg's default path is up to 3 levels off).
        let yuyvRGB = try rawRGB(yuyv, input: ["-f", "rawvideo", "-pix_fmt", "yuyv422", "-s", "\(width)x\(height)"],
                                 output: ["-sws_flags", "neighbor+accurate_rnd+full_chroma_int"])
        // Interpolated chroma, as libjpeg-turbo's default ("fancy") upsampling does; ffmpeg's default repeats it.
        let mjpegRGB = try rawRGB(mjpeg, input: ["-f", "mjpeg"], output: ["-sws_flags", "bilinear+accurate_rnd+full_chroma_int"])
        let size = width * height * 3
        guard yuyvRGB.count == size * count, mjpegRGB.count == size * count else {
            throw ExternalToolError("ffmpeg made \(yuyvRGB.count / size) YUYV and \(mjpegRGB.count / size) MJPEG frames, not \(count)")
        }
        return Clip(width: width, height: height, count: count, yuyvPath: yuyv, mjpegPath: mjpeg,
                    yuyvRGB: yuyvRGB, mjpegRGB: mjpegRGB)
    }

    /// Pixel formats the fake offers.
    public enum Format: Sendable { case mjpeg, yuyv }

    /// The environment that makes a child process see the fake camera at `device`.
    /// - Parameters:
    ///   - fail: "ebusy", "eacces" or "unplug-after:N" (FAKE_V4L2_FAIL), or nil.
    ///   - replugMilliseconds: after an unplug, the node comes back this much later (nil: never).
    public static func environment(_ clip: Clip, formats: [Format] = [.mjpeg, .yuyv], fps: String = "30,15",
                                   fail: String? = nil, replugMilliseconds: Int? = nil, log: String? = nil) throws -> [String: String] {
        var env = ["LD_PRELOAD": try requireLibrary(), "FAKE_V4L2_DEVICE": device,
                   "FAKE_V4L2_SIZE": "\(clip.width)x\(clip.height)", "FAKE_V4L2_FPS": fps]
        if formats.contains(.mjpeg) { env["FAKE_V4L2_MJPEG"] = clip.mjpegPath }
        if formats.contains(.yuyv) { env["FAKE_V4L2_FRAMES"] = clip.yuyvPath }
        if let fail { env["FAKE_V4L2_FAIL"] = fail }
        if let replugMilliseconds { env["FAKE_V4L2_REPLUG_MS"] = String(replugMilliseconds) }
        if let log { env["FAKE_V4L2_LOG"] = log }
        return env
    }

    /// PNG files (or any image ffmpeg reads) decoded by ffmpeg to packed RGB24, concatenated in `paths` order.
    public static func rgb(ofImages paths: [String]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for path in paths { bytes += try rawRGB(path, input: [], output: []) }
        return bytes
    }

    private static func rawRGB(_ path: String, input: [String], output: [String]) throws -> [UInt8] {
        let out = path + ".rgb"
        try ExternalTools.run(tool: "ffmpeg", ["-v", "error", "-y"] + input + ["-i", path] + output
                                  + ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", out])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }
}
