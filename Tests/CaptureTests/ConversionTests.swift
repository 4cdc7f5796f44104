import Capture
import Foundation
import Imaging
import Testing
import TestSupport

/// Camera pixel formats converted from the same bytes ffmpeg / libjpeg-turbo convert.
@Suite struct ConversionTests {
    static let directory = Result { try ExternalTools.temporaryDirectory("conversion") }

    @Test func yuyvMatchesFFmpeg() throws {
        let dir = try Self.directory.get()
        try ExternalTools.run(tool: "ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240",
                                               "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuyv422", dir + "/frame.yuyv"])
        let yuyv = try Data(contentsOf: URL(fileURLWithPath: dir + "/frame.yuyv"))
        let reference = try GeneratedMedia.rawRGB(dir + "/frame.yuyv",
                                                  arguments: ["-f", "rawvideo", "-pix_fmt", "yuyv422", "-s", "320x240"])
        let ours = yuyv.withUnsafeBytes { PixelConversion.yuyvToRGB($0, width: 320, height: 240) }
        // ffmpeg's default table-driven yuv2rgb is itself up to 3 levels off the exact BT.601 values…
        let diff = ByteDifference(ours.pixels, reference)
        #expect(diff.max <= 3 && diff.mean < 1.5, "vs ffmpeg: \(diff)")
        // …so also check against the exact formula in Double, where we must be within rounding.
        let exact = ByteDifference(ours.pixels, Self.exactBT601(Array(yuyv)))
        #expect(exact.max <= 1 && exact.mean < 0.1, "vs exact BT.601: \(exact)")
    }

    /// BT.601 limited-range YUYV → RGB in Double, rounded: the specification our integer code approximates.
    static func exactBT601(_ yuyv: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for pair in stride(from: 0, to: yuyv.count, by: 4) {
            let u = Double(yuyv[pair + 1]) - 128, v = Double(yuyv[pair + 3]) - 128
            for luma in [yuyv[pair], yuyv[pair + 2]] {
                let c = 1.164383 * (Double(luma) - 16)
                for x in [c + 1.596027 * v, c - 0.391762 * u - 0.812968 * v, c + 2.017232 * u] {
                    out.append(UInt8(min(255, max(0, x.rounded()))))
                }
            }
        }
        return out
    }

    @Test func yuyvHonoursRowPadding() {
        // Two rows of one pixel pair each, padded to 8 bytes per row: white then black.
        let bytes: [UInt8] = [235, 128, 235, 128, 9, 9, 9, 9, 16, 128, 16, 128, 9, 9, 9, 9]
        let image = bytes.withUnsafeBytes { PixelConversion.yuyvToRGB($0, width: 2, height: 2, bytesPerLine: 8) }
        #expect(image.pixels == [255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0])
    }

    /// A webcam-style 4:2:2 MJPEG frame (made by ffmpeg's encoder) decoded by us and by ImageMagick,
    /// which also uses libjpeg-turbo.
    @Test func mjpegFrameMatchesLibjpegTurbo() throws {
        let dir = try Self.directory.get()
        let jpeg = dir + "/frame.jpg"
        try ExternalTools.run(tool: "ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x480",
                                               "-frames:v", "1", "-c:v", "mjpeg", "-pix_fmt", "yuvj422p", "-q:v", "4", jpeg])
        try ExternalTools.run(tool: "convert", [jpeg, "-depth", "8", "rgb:" + dir + "/frame.rgb"])
        let reference = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/frame.rgb")))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: jpeg))
        let ours = try bytes.withUnsafeBytes { try JPEGDecoder().decode($0, tolerateWarnings: true) }
        #expect(ours.width == 640 && ours.height == 480)
        let diff = ByteDifference(ours.pixels, reference)
        #expect(diff.max <= 1, "\(diff)")
    }
}

/// V4L2 error paths with what exists on a machine without cameras.
@Suite struct CameraErrorTests {
    @Test func missingNode() {
        #expect(throws: CaptureError.noSuchDevice(path: "/dev/video99")) { try V4L2Camera(path: "/dev/video99") }
    }

    @Test func regularFileIsNotACamera() throws {
        let dir = try ExternalTools.temporaryDirectory("camera")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/video0"))
        let error = #expect(throws: CaptureError.self) { try V4L2Camera(path: dir + "/video0") }
        guard case .notACaptureDevice? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(throws: CaptureError.self) { try V4L2Camera(path: dir) }
    }

    @Test func devNullIsNotACamera() {
        let error = #expect(throws: CaptureError.self) { try V4L2Camera(path: "/dev/null") }
        #expect(error == .notACaptureDevice(path: "/dev/null", reason: "it does not answer VIDIOC_QUERYCAP"))
        #expect(error?.description == "/dev/null: not a video capture device (it does not answer VIDIOC_QUERYCAP)")
    }

    @Test func messagesSayWhatToDo() {
        #expect(CaptureError.permissionDenied(path: "/dev/video0").description.contains("'video' group"))
        #expect(CaptureError.noSuchDevice(path: "/dev/video0").description.contains("--video FILE"))
        #expect(CaptureError.deviceDisconnected(path: "/dev/video0").isRecoverable)
        #expect(!CaptureError.noSuchDevice(path: "/dev/video0").isRecoverable)
    }

    @Test func listingWithoutCamerasIsEmpty() {
        #expect(V4L2Camera.listDevices().allSatisfy { $0.path.hasPrefix("/dev/video") })
        #expect(V4L2Camera.describe(path: "/dev/null") == nil)
    }
}

@Suite struct ImageFolderTests {
    private func makeFolder() throws -> String {
        let dir = try ExternalTools.temporaryDirectory("folder")
        for (name, level) in [("img10.png", 30), ("img2.png", 20), ("IMG1.png", 10)] {
            try RGBImage(width: 4, height: 3, fill: (UInt8(level), 0, 0)).writePNG(to: "\(dir)/\(name)")
        }
        try Data("notes".utf8).write(to: URL(fileURLWithPath: dir + "/readme.txt"))
        return dir
    }

    @Test func naturalOrderPacedAndLooping() throws {
        let folder = try ImageFolder(path: makeFolder(), interval: 0.05)
        let start = Date()
        let reds = try (0..<5).map { _ in try #require(try folder.next(timeout: 1)).image[0, 0].r }
        #expect(reds == [10, 20, 30, 10, 20])
        #expect(Date().timeIntervalSince(start) >= 0.19)
    }

    @Test func badImageIsSkippedAfterItsError() throws {
        let dir = try makeFolder()
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: dir + "/img3.png"))
        let folder = try ImageFolder(path: dir, interval: 0, loop: false)
        #expect(try folder.next(timeout: 1)?.image[0, 0].r == 10)
        #expect(try folder.next(timeout: 1)?.image[0, 0].r == 20)
        #expect(throws: CaptureError.image(.notAnImage(source: dir + "/img3.png"))) { try folder.next(timeout: 1) }
        #expect(try folder.next(timeout: 1)?.image[0, 0].r == 30)
        #expect(try folder.next(timeout: 1) == nil)
    }

    @Test func singleImageAndErrors() throws {
        let dir = try makeFolder()
        let single = try ImageFolder(path: dir + "/img2.png", interval: 0)
        #expect(try single.next(timeout: 1)?.image[0, 0].r == 20)
        #expect(try single.next(timeout: 1)?.index == 1)
        let empty = try ExternalTools.temporaryDirectory("empty")
        #expect(throws: CaptureError.noImages(path: empty)) { try ImageFolder(path: empty) }
        #expect(throws: CaptureError.fileNotFound(path: dir + "/nope")) { try ImageFolder(path: dir + "/nope") }
        #expect(throws: CaptureError.self) { try ImageFolder(path: dir + "/readme.txt") }
    }
}
