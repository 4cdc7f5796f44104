import Foundation
import Testing
import TestSupport

/// The real `V4L2Camera` (through libv4l2) on the fake V4L2 device: negotiation, streaming, pixels and faults.
///
/// The fake is an LD_PRELOAD library, so the camera runs in a child process: `deepvis devices --check`, which
/// opens it exactly as `live` does and writes the frames it got as PNG files.
@Suite(.serialized) struct FakeCameraTests {
    static let clip = Result { try FakeV4L2.makeClip(in: try ExternalTools.temporaryDirectory("fake-camera")) }

    /// Runs `deepvis devices --check` on the fake with `arguments`; returns the result and the output folder.
    func check(_ env: [String: String], _ arguments: [String] = []) throws -> (CLI.Result, String) {
        let out = try ExternalTools.temporaryDirectory("fake-camera-out")
        let result = try CLI.run(["devices", "--check", FakeV4L2.device, "--out", out] + arguments,
                                 environment: env, timeout: 60)
        return (result, out)
    }

    /// The first `count` PNGs in `out` are frames 0, 1, … of `reference` (ffmpeg's decode of what the fake served)
    /// within the given byte differences, and each clearly differs from the frame after it.
    func expectFrames(_ count: Int, in out: String, equal reference: [UInt8], of clip: FakeV4L2.Clip, maxDifference: Int,
                      meanDifference: Double) throws {
        for k in 0..<count {
            let ours = try FakeV4L2.rgb(ofImages: [out + String(format: "/frame-%04d.png", k)])
            let diff = ByteDifference(ours, clip.frame(k, of: reference))
            #expect(diff.max <= maxDifference && diff.mean < meanDifference, "frame \(k) vs ffmpeg: \(diff)")
            let other = ByteDifference(ours, clip.frame(k + 1, of: reference))
            #expect(other.mean > 10, "frame \(k) should differ from frame \(k + 1): \(other)")
        }
    }

    func frameLines(_ stdout: String) -> [String] { stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("frame ") } }

    @Test func mjpegIsChosenAndTheFramesAreTheVideosFramesInOrder() throws {
        let clip = try Self.clip.get()
        let dir = try ExternalTools.temporaryDirectory("fake-camera-log")
        let log = dir + "/calls.log"
        let (result, out) = try check(try FakeV4L2.environment(clip, fps: "30,15", log: log),
                                      ["--frames", "7", "--size", "640x480", "--fps", "15"])
        #expect(result.status == 0, "\(result.stderr)")
        // MJPEG is preferred over YUYV; the 640x480 asked for is not offered, so the camera's 320x240 is read back.
        #expect(result.stdout.split(separator: "\n").first == "\(FakeV4L2.device) MJPG 320x240 @ 15 fps")
        let lines = frameLines(result.stdout)
        #expect(lines.count == 7)
        // Timestamps are the driver's (1/15 s apart), relative to the first frame.
        for (k, line) in lines.enumerated() {
            let t = Double(line.split(separator: " ")[2].dropFirst(2)) ?? -1
            #expect(abs(t - Double(k) / 15) < 0.002, "frame \(k): \(line)")
        }
        // Every frame is ffmpeg's decode of the JPEG the fake served as frame k (the 5 frames loop), and not another.
        try expectFrames(7, in: out, equal: clip.mjpegRGB, of: clip, maxDifference: 6, meanDifference: 0.5)
        // libv4l2 reached the fake through syscall(): the requests were answered by it, buffers mapped from it.
        let calls = try String(contentsOfFile: log, encoding: .utf8)
        for expected in ["QUERYCAP -> 0", "S_FMT -> 0", "REQBUFS -> 0", "STREAMON -> 0", "DQBUF index", "mmap fd"] {
            #expect(calls.contains(expected), "\(expected) not in the fake's log")
        }
    }

    @Test func yuyvIsChosenWhenTheCameraOnlyOffersYUYV() throws {
        let clip = try Self.clip.get()
        let (result, out) = try check(try FakeV4L2.environment(clip, formats: [.yuyv], fps: "30,15"),
                                      ["--frames", "5", "--fps", "30"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").first == "\(FakeV4L2.device) YUYV 320x240 @ 30 fps")
        #expect(frameLines(result.stdout).count == 5)
        // Against ffmpeg with accurate rounding: equal but for rounding.
        try expectFrames(5, in: out, equal: clip.yuyvRGB, of: clip, maxDifference: 1, meanDifference: 0.05)
    }

    @Test func theRequestedRateIsMatchedToTheNearestOffered() throws {
        let clip = try Self.clip.get()
        let (result, _) = try check(try FakeV4L2.environment(clip, formats: [.yuyv], fps: "30,15,5"), ["--frames", "1", "--fps", "7"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").first == "\(FakeV4L2.device) YUYV 320x240 @ 5 fps")
    }

    @Test func aBusyCameraIsReportedInWords() throws {
        let (result, _) = try check(try FakeV4L2.environment(try Self.clip.get(), fail: "ebusy"))
        #expect(result.status == 1)
        #expect(result.stderr == "deepvis: \(FakeV4L2.device): device busy — another program is using the camera; close it and retry\n")
    }

    @Test func aCameraWeMayNotOpenIsReportedInWords() throws {
        let (result, _) = try check(try FakeV4L2.environment(try Self.clip.get(), fail: "eacces"))
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("deepvis: \(FakeV4L2.device): permission denied — join the 'video' group"), "\(result.stderr)")
    }

    @Test func anUnpluggedCameraStopsTheStreamWithThatMessage() throws {
        let (result, _) = try check(try FakeV4L2.environment(try Self.clip.get(), fail: "unplug-after:3"), ["--frames", "6"])
        #expect(result.status == 1)
        #expect(frameLines(result.stdout).count == 3)
        #expect(result.stderr.hasPrefix("deepvis: \(FakeV4L2.device): camera disconnected"), "\(result.stderr)")
    }

    @Test func anotherNodeThanTheFakeIsNotThere() throws {
        let env = try FakeV4L2.environment(try Self.clip.get())
        let result = try CLI.run(["devices", "--check", "/dev/video8"], environment: env, timeout: 60)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("deepvis: /dev/video8: no such device"), "\(result.stderr)")
    }
}
