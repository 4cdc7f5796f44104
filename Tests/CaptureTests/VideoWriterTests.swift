import Capture
import Foundation
import Imaging
import Testing
import TestSupport

/// VideoWriter round trips: our encoder's files read back by our decoder and by ffprobe.
@Suite struct VideoWriterTests {
    /// Smooth, moving colour gradients (like an optimization history), 64×48.
    static func frames(_ n: Int, width: Int = 64, height: Int = 48) -> [RGBImage] {
        (0..<n).map { t in
            var p = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let i = (y * width + x) * 3
                    p[i] = UInt8((x * 255 / (width - 1) + t * 20) % 256)
                    p[i + 1] = UInt8(y * 255 / (height - 1))
                    p[i + 2] = UInt8(128 + 100 * (t % 2))
                }
            }
            return RGBImage(width: width, height: height, pixels: p)
        }
    }

    private func decodeAll(_ path: String) throws -> [Frame] {
        let video = try VideoFile(path: path, pacing: .asFastAsPossible)
        defer { video.close() }
        var out: [Frame] = []
        while let f = try video.next(timeout: 5) { out.append(f) }
        return out
    }

    private func probe(_ path: String) throws -> String {
        let out = try ExternalTools.run(tool: "ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                                           "stream=codec_name,width,height", "-of", "csv=p=0", path])
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(arguments: VideoFormat.allCases)
    func roundTrip(format: VideoFormat) throws {
        let source = Self.frames(8)
        let dir = try ExternalTools.temporaryDirectory("videowriter-\(format.rawValue)")
        let path = dir + "/clip.\(format.rawValue)"
        let encoder = try VideoWriter.write(source, to: path, framesPerSecond: 10)
        let decoded = try decodeAll(path)
        #expect(decoded.count == source.count, "\(format) via \(encoder)")
        #expect(try GeneratedMedia.frameCount(path) == source.count, "ffprobe's frame count")
        let probed = try probe(path)
        #expect(probed == "\(encoder == "libx264" ? "h264" : encoder),64,48", "ffprobe: \(probed)")
        let d = ByteDifference(source.flatMap(\.pixels), decoded.flatMap(\.image.pixels))
        print("\(format) via \(encoder): \(d)")
        // GIF: 256 colours shared by 8 frames of ~3000 colours each (a 16-level grid: ±8 at worst);
        // MP4: lossy, with 4:2:0 chroma (the red wrap-around edge loses up to ~110 at a few pixels).
        #expect(d.mean < 6 && (format == .mp4 || d.max <= 16), "\(format) via \(encoder): \(d)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func mp4UsesH264WhenAvailable() {
        let encoders = VideoWriter.availableEncoders(for: .mp4)
        #expect(!encoders.isEmpty)
        print("MP4 encoders in this FFmpeg: \(encoders)")
    }

    @Test func unfinishedWriterLeavesNothing() throws {
        let dir = try ExternalTools.temporaryDirectory("videowriter-abandon")
        do {
            let w = try VideoWriter(path: dir + "/x.mp4", width: 32, height: 32)
            try w.append(RGBImage(width: 32, height: 32, fill: (10, 20, 30)))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func clearErrors() throws {
        let dir = try ExternalTools.temporaryDirectory("videowriter-errors")
        let w = try VideoWriter(path: dir + "/x.gif", width: 32, height: 32)
        #expect(throws: CaptureError.frameSizeMismatch(path: dir + "/x.gif", expected: "32x32", got: "16x16")) {
            try w.append(RGBImage(width: 16, height: 16))
        }
        #expect(throws: CaptureError.self) { try VideoWriter(path: dir + "/x.avi", width: 32, height: 32) }
        #expect(throws: CaptureError.self) { try VideoWriter(path: "/nonexistent-dir/x.mp4", width: 32, height: 32) }
    }
}
