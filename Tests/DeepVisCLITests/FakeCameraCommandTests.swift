import Foundation
import Testing
import TestSupport

/// `deepvis devices` and `deepvis live --camera` on the fake V4L2 device (Tests/FakeV4L2, loaded with LD_PRELOAD).
@Suite(.serialized) struct FakeCameraCommandTests {
    static let clip = Result { try FakeV4L2.makeClip(in: try ExternalTools.temporaryDirectory("fake-camera-cli")) }

    /// The rows of a headless run's frames.tsv as [file, source_frame, snapshot, layer, unit, status].
    func rows(_ dir: String) throws -> [[String]] {
        try String(contentsOfFile: dir + "/frames.tsv", encoding: .utf8).split(separator: "\n").dropFirst().map {
            let fields = $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return fields + Array(repeating: "", count: max(0, 6 - fields.count))
        }
    }

    @Test func devicesListsTheFakeCameraWithItsFormatsSizesAndRates() throws {
        let result = try CLI.run(["devices"], environment: try FakeV4L2.environment(try Self.clip.get(), fps: "30,15"), timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(FakeV4L2.device): DeepVis fake camera [fake_v4l2, platform:fake-v4l2]"), "\(result.stdout)")
        #expect(lines.contains("  MJPG: 320x240 @ 30/15"), "\(result.stdout)")
        #expect(lines.contains("  YUYV: 320x240 @ 30/15"), "\(result.stdout)")
        // libv4l2 adds the formats it converts to in user space.
        #expect(lines.contains { $0.hasPrefix("  RGB3 (converted): 320x240") }, "\(result.stdout)")
    }

    @Test func devicesLeavesOutACameraItMayNotOpen() throws {
        let env = try FakeV4L2.environment(try Self.clip.get(), fail: "eacces")
        let result = try CLI.run(["devices"], environment: env, timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains(FakeV4L2.device), "\(result.stdout)")
    }

    /// A busy camera and one we may not open: `live` waits its first-frame timeout (a busy camera may be freed), then
    /// ends with one line that names the device and the reason.
    @Test(arguments: [("ebusy", "device busy"), ("eacces", "permission denied")])
    func liveWithABusyOrForbiddenCameraSaysWhy(_ failure: String, _ reason: String) throws {
        let dir = try ExternalTools.temporaryDirectory("fake-camera-\(failure)")
        let env = try FakeV4L2.environment(try Self.clip.get(), fail: failure)
        let result = try CLI.run(["live", "--camera", FakeV4L2.device, "--headless", "--frames", "2", "--out", dir,
                                  "--no-ascent", "--first-frame-timeout", "3"], environment: env, timeout: 120)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr == "deepvis: no frame from camera \(FakeV4L2.device) within 3.0 s: \(FakeV4L2.device): \(reason)\n")
    }

    @Test func liveShowsTheCamerasFramesInOrder() throws {
        let dir = try ExternalTools.temporaryDirectory("fake-camera-live")
        let env = try FakeV4L2.environment(try Self.clip.get())
        let result = try CLI.run(["live", "--camera", FakeV4L2.device, "--headless", "--frames", "3", "--out", dir,
                                  "--size", "640x480", "--no-ascent"], environment: env, timeout: 240)
        #expect(result.status == 0, "\(result.stderr)")
        let table = try rows(dir)
        #expect(table.map { $0[1] } == ["0", "1", "2"])
        #expect(table.allSatisfy { $0[5].isEmpty }, "\(table)")
    }

    /// Unplugged 3 s into the stream (90 frames at 30 fps, after the first snapshot even on a slow machine), back
    /// 0.3 s later: the window says the camera is disconnected, then shows new frames once it is reopened.
    @Test func liveSaysTheCameraWasUnpluggedAndRecoversWhenItIsBack() throws {
        let dir = try ExternalTools.temporaryDirectory("fake-camera-unplug")
        defer { try? FileManager.default.removeItem(atPath: dir) }  // 400 PNGs
        let env = try FakeV4L2.environment(try Self.clip.get(), fps: "30", fail: "unplug-after:90", replugMilliseconds: 300,
                                             log: dir + "/calls.log")
        // --realtime: the window runs at its own pace (at most 60 fps, so 400 frames last ≥ 6.7 s: unplug at 3 s,
        // reopened at about 4 s) and draws whatever the pipeline says, as on screen.
        let result = try CLI.run(["live", "--camera", FakeV4L2.device, "--headless", "--realtime", "--frames", "400",
                                  "--out", dir + "/out", "--size", "640x480", "--no-ascent"], environment: env, timeout: 400)
        #expect(result.status == 0, "\(result.stderr)")
        let table = try rows(dir + "/out")
        let gone = try #require(table.firstIndex { $0[5].contains("\(FakeV4L2.device): camera disconnected") },
                                "no frame says the camera is disconnected: \(Set(table.map { $0[5] }))")
        let before = table[..<gone].compactMap { Int($0[2]) }.max() ?? -1
        #expect(before >= 1, "no frame was shown before the unplug")
        let back = table[gone...].firstIndex { $0[5].isEmpty && (Int($0[2]) ?? -1) > before }
        #expect(back != nil, "no new frame after the unplug: \(Set(table[gone...].map { "\($0[2]) \($0[5])" }))")
        let calls = try String(contentsOfFile: dir + "/calls.log", encoding: .utf8)
        #expect(calls.contains("unplugged after 90 frames") && calls.contains("replugged"), "\(calls.suffix(2000))")
    }
}
