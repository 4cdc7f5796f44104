import Capture
import Foundation
import Imaging
import Testing
import TestSupport

/// VideoFile against the ffmpeg CLI on clips ffmpeg makes at test time.
@Suite struct VideoFileTests {
    static let directory = Result { try ExternalTools.temporaryDirectory("videofile") }

    private func decodeAll(_ path: String) throws -> [Frame] {
        let video = try VideoFile(path: path, pacing: .asFastAsPossible)
        defer { video.close() }
        var frames: [Frame] = []
        while let frame = try video.next(timeout: 5) { frames.append(frame) }
        return frames
    }

    @Test(arguments: GeneratedMedia.kinds)
    func framesMatchFFmpeg(kind: GeneratedMedia.Kind) throws {
        let path = try GeneratedMedia.make(kind, in: Self.directory.get(), name: "match")
        let frames = try decodeAll(path)
        #expect(frames.count == (try GeneratedMedia.frameCount(path)), "\(kind)")
        let reference = try GeneratedMedia.rawRGB(path)
        let ours = frames.flatMap(\.image.pixels)
        #expect(ours.count == reference.count, "\(kind): \(ours.count) vs \(reference.count) bytes")
        guard ours.count == reference.count else { return }
        let diff = ByteDifference(ours, reference)
        #expect(diff.max <= 2, "\(kind): \(diff)")
        #expect(frames.map(\.index) == Array(0..<frames.count))
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp }, "\(kind): timestamps increase")
    }

    @Test func describesItself() throws {
        let path = try GeneratedMedia.make(GeneratedMedia.kinds[0], in: Self.directory.get(), name: "describe")
        let video = try VideoFile(path: path)
        #expect(video.description == "describe.mp4 h264 320x240 @ 25 fps")
        #expect(abs((video.duration ?? 0) - 2) < 0.1)
    }

    @Test func loopsWithGrowingTimestamps() throws {
        let path = try GeneratedMedia.make(GeneratedMedia.kinds[4], in: Self.directory.get(), name: "loop", rate: 10, seconds: 1)
        let count = try GeneratedMedia.frameCount(path)
        let video = try VideoFile(path: path, pacing: .asFastAsPossible, loop: true)
        var frames: [Frame] = []
        for _ in 0..<(2 * count + 3) { frames.append(try #require(try video.next(timeout: 5))) }
        #expect(frames[count].image == frames[0].image)
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
        #expect(frames.last!.index == 2 * count + 2)
    }

    @Test func seekLandsOnTheRequestedFrame() throws {
        let path = try GeneratedMedia.make(GeneratedMedia.kinds[0], in: Self.directory.get(), name: "seek")
        let reference = try GeneratedMedia.rawRGB(path)
        let video = try VideoFile(path: path, pacing: .asFastAsPossible)
        try video.seek(to: 1.2)
        let frame = try #require(try video.next(timeout: 5))
        #expect(abs(frame.timestamp - 1.2) < 0.021)
        let size = 320 * 240 * 3
        let expected = Array(reference[(30 * size)..<(31 * size)])
        #expect(ByteDifference(frame.image.pixels, expected).max <= 2)
    }

    @Test func realTimePacingFollowsTimestamps() throws {
        let path = try GeneratedMedia.make(GeneratedMedia.kinds[0], in: Self.directory.get(), name: "pace")
        let video = try VideoFile(path: path, pacing: .realTime)
        let start = Date()
        for _ in 0..<11 { _ = try video.next(timeout: 1) }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.38 && elapsed < 1.5, "10 frame intervals at 25 fps took \(elapsed) s")
        #expect(throws: CaptureError.timedOut(source: path, seconds: 0.001)) { try video.next(timeout: 0.001) }
        #expect(try video.next(timeout: 1) != nil)  // the held frame still comes
    }

    @Test(arguments: ["mkv", "avi", "webm"])
    func truncatedFileYieldsFramesThenAnError(ext: String) throws {
        let kind = try #require(GeneratedMedia.kinds.first { $0.fileExtension == ext })
        let path = try GeneratedMedia.make(kind, in: Self.directory.get(), name: "trunc", seconds: 4)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        let video = try VideoFile(path: path, pacing: .asFastAsPossible)
        var count = 0
        let error = #expect(throws: CaptureError.self) { while try video.next(timeout: 5) != nil { count += 1 } }
        guard case .truncated(_, let decoded, _)? = error else { Issue.record("\(ext): got \(String(describing: error))"); return }
        #expect(decoded == count && count > 10, "\(ext): \(count) frames before the error")
        #expect(try video.next(timeout: 1) == nil)
    }

    @Test func truncatedMP4WithIndexAtTheEndFailsAtOpen() throws {
        let path = try GeneratedMedia.make(GeneratedMedia.kinds[0], in: Self.directory.get(), name: "trunc-mp4")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(throws: CaptureError.self) { try VideoFile(path: path) }
    }

    @Test func badFilesAreReportedAtOpen() throws {
        let dir = try Self.directory.get()
        try Data().write(to: URL(fileURLWithPath: dir + "/empty.mp4"))
        #expect(throws: CaptureError.notAVideo(path: dir + "/empty.mp4", reason: "empty file")) {
            try VideoFile(path: dir + "/empty.mp4")
        }
        try Data("just some text, renamed\n".utf8).write(to: URL(fileURLWithPath: dir + "/text.mp4"))
        let error = #expect(throws: CaptureError.self) { try VideoFile(path: dir + "/text.mp4") }
        guard case .notAVideo(let p, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(p == dir + "/text.mp4")
        #expect(error!.description.hasPrefix("\(dir)/text.mp4: not a video FFmpeg can decode"))
        #expect(throws: CaptureError.fileNotFound(path: dir + "/none.mp4")) { try VideoFile(path: dir + "/none.mp4") }
        #expect(throws: CaptureError.self) { try VideoFile(path: dir) }
    }

    @Test func closedSourceSaysSo() throws {
        let path = try GeneratedMedia.make(GeneratedMedia.kinds[2], in: Self.directory.get(), name: "closed")
        let video = try VideoFile(path: path, pacing: .asFastAsPossible)
        video.close()
        video.close()
        #expect(throws: CaptureError.closed(source: path)) { try video.next(timeout: 1) }
    }
}
