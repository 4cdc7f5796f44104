import Capture
import Foundation
import Imaging
import Testing
import TestSupport

/// Inputs that Scripts/fuzz found troublesome, and the limits that keep hostile inputs from hanging a run.
@Suite struct FuzzFindingTests {
    /// Tests/Fixtures/fuzz/video: each must open with a clear `CaptureError` or decode a few frames.
    /// (The two `leak-*` files leaked FFmpeg's demuxer state on every failed open; `oom-mov-1gib` made FFmpeg ask
    /// for 1 GiB. `Scripts/fuzz video 0 Tests/Fixtures/fuzz/video/*` replays them under LeakSanitizer and
    /// libFuzzer's 1 GiB allocation limit.)
    @Test func videoFindingsFailCleanlyOrDecode() throws {
        let dir = try Fixtures.require(ExternalTools.fixture("fuzz/video"), makeWith: "git checkout Tests/Fixtures/fuzz")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files.count >= 3)
        for name in files {
            do {
                let video = try VideoFile(path: dir + "/" + name, pacing: .asFastAsPossible)
                for _ in 0..<8 { guard let frame = try video.next(timeout: 1) else { break }
                    #expect(frame.image.pixels.count == frame.image.width * frame.image.height * 3)
                }
                video.close()
            } catch let error as CaptureError {
                #expect(!error.description.isEmpty, "\(name)")
            }
        }
    }

    @Test func deviceNodesAreNotReadAsImages() throws {
        let started = Date()
        #expect(throws: ImagingError.io(path: "/dev/zero", reason: "not a regular file")) { try FileBytes.read(path: "/dev/zero") }
        #expect(Date().timeIntervalSince(started) < 1, "rejected before reading")
    }

    @Test func filesOverTheLimitAreRefusedBeforeReading() throws {
        let dir = try ExternalTools.temporaryDirectory("filebytes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: dir + "/big.png"))
        #expect(throws: ImagingError.self) { try FileBytes.read(path: dir + "/big.png", limit: 4095) }
        #expect(try FileBytes.read(path: dir + "/big.png", limit: 4096).count == 4096)
    }

    @Test func aFolderOfOnlyBrokenImagesEndsAfterOnePass() throws {
        let dir = try ExternalTools.temporaryDirectory("broken-folder")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for i in 0..<3 { try Data([0xFF, 0xD8, 0xFF, 0xE0, UInt8(i)]).write(to: URL(fileURLWithPath: "\(dir)/\(i).jpg")) }
        let folder = try ImageFolder(path: dir, interval: 100)
        let started = Date()
        var errors: [CaptureError] = []
        for _ in 0..<3 {
            do { _ = try folder.next(timeout: 1) } catch let error as CaptureError { errors.append(error) }
        }
        // Broken files take no time slot, and the third failure in a row ends the stream for good.
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(errors.count == 3)
        guard case .image? = errors.first, case .noReadableImages(let path, _)? = errors.last else {
            Issue.record("got \(errors)"); return
        }
        #expect(path == dir && errors.last?.isRecoverable == false)
    }

    @Test func oneBrokenImageAmongGoodOnesIsSkipped() throws {
        let dir = try ExternalTools.temporaryDirectory("mixed-folder")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data([0xFF, 0xD8, 0xFF]).write(to: URL(fileURLWithPath: dir + "/1.jpg"))
        try RGBImage(width: 4, height: 3, pixels: [UInt8](repeating: 90, count: 36)).writePNG(to: dir + "/2.png")
        let folder = try ImageFolder(path: dir, interval: 0.01)
        #expect(throws: CaptureError.self) { try folder.next(timeout: 1) }
        let frame = try #require(try folder.next(timeout: 1))
        #expect(frame.image.width == 4 && frame.index == 0)
    }
}
