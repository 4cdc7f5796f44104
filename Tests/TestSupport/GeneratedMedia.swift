import Foundation

/// Small videos made with the ffmpeg CLI at test time, and ffmpeg's/ffprobe's own view of them.
public enum GeneratedMedia {
    /// A container/codec pairing to generate.
    public struct Kind: Sendable, CustomStringConvertible {
        public let fileExtension: String
        public let encoderArguments: [String]
        public var description: String { fileExtension + " " + encoderArguments.joined(separator: " ") }
    }

    /// mp4/H.264, mkv/VP9, avi/MJPEG, webm/VP8 and animated GIF.
    public static let kinds: [Kind] = [
        Kind(fileExtension: "mp4", encoderArguments: ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast"]),
        Kind(fileExtension: "mkv", encoderArguments: ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M"]),
        Kind(fileExtension: "avi", encoderArguments: ["-c:v", "mjpeg", "-q:v", "3"]),
        Kind(fileExtension: "webm", encoderArguments: ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M"]),
        Kind(fileExtension: "gif", encoderArguments: []),
    ]

    /// Encodes `seconds` of ffmpeg's `testsrc2` pattern at `size` and `rate` into `directory`; returns the path.
    public static func make(_ kind: Kind, in directory: String, name: String = "clip", size: String = "320x240",
                            rate: Int = 25, seconds: Double = 2, extra: [String] = []) throws -> String {
        let path = "\(directory)/\(name).\(kind.fileExtension)"
        try ExternalTools.run(tool: "ffmpeg", ["-v", "error", "-y", "-f", "lavfi",
                                               "-i", "testsrc2=size=\(size):rate=\(rate)", "-t", String(seconds)]
                                  + kind.encoderArguments + extra + [path])
        return path
    }

    /// ffprobe's count of decoded video frames.
    public static func frameCount(_ path: String) throws -> Int {
        let out = try ExternalTools.run(tool: "ffprobe", ["-v", "error", "-select_streams", "v:0", "-count_frames",
                                                           "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path])
        let text = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let count = Int(text) else { throw ExternalToolError("ffprobe gave \(text.debugDescription) for \(path)") }
        return count
    }

    /// Every frame as ffmpeg itself decodes it to packed RGB24, concatenated.
    public static func rawRGB(_ path: String, arguments: [String] = []) throws -> [UInt8] {
        let out = path + ".rgb"
        try ExternalTools.run(tool: "ffmpeg", ["-v", "error", "-y"] + arguments + ["-i", path, "-fps_mode", "passthrough",
                                               "-f", "rawvideo", "-pix_fmt", "rgb24", out])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }
}
