import Foundation
import Imaging
import NeuralNetwork
import Tensors
import Testing
import TestSupport
import Visualization

/// Unreadable images in the data set, and two shards writing the same unit.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: Fixtures.defaultModel)))
struct AtlasRobustnessTests {
    private func builder() throws -> AtlasBuilder {
        let graph = try AtlasTests.model.get().graph
        let info = try ModelInfo.forModel(at: Fixtures.defaultModel, graph: graph)
        let b = try AtlasBuilder(session: Session(graph: graph), info: info, layer: "blocks.1", preset: Preset.named("paper-3")!, iterations: 2)
        b.patches = 2
        return b
    }

    /// The photos with a bad image at position `at`: its pull throws `error`.
    private func images(badAt at: Int, error: any Error) throws -> AtlasImages {
        let photos = try AtlasTests.photos.get()
        var i = 0
        return AtlasImages(description: "photos") {
            defer { i += 1 }
            if i == at { throw error }
            let k = i > at ? i - 1 : i
            return k < photos.count ? photos[k] : nil
        }
    }

    @Test func anUnreadableImageIsSkippedAndListed() throws {
        let dir = try ExternalTools.temporaryDirectory("atlas-corrupt")
        let b = try builder()
        var lines: [String] = []
        b.log = { lines.append($0) }
        let bad = AtlasError.unreadableImage(name: "broken.jpg", reason: "corrupt or truncated JPEG image")
        let summary = try b.run(units: [0, 1], shard: .whole, images: try images(badAt: 1, error: bad), model: "lite0", directory: dir)
        #expect(summary.computed == [0, 1])
        #expect(lines.contains("warning: skipped broken.jpg: corrupt or truncated JPEG image"), "\(lines)")
        let record = try JSONDecoder().decode(AtlasUnitRecord.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/unit-0000/unit.json")))
        #expect(record.warnings == ["broken.jpg: corrupt or truncated JPEG image"])
        let (settings, _) = try AtlasIndex.merge(directory: dir)
        #expect(settings.imageNames == ["astronaut.png", "broken.jpg", "chelsea.png", "coffee.png", "rocket.png"],
                "every image in order, the skipped one too (indices stay positions in the folder)")
        #expect(!record.patches.contains { $0.image == 1 }, "no patch from the skipped image")
        #expect(settings.skippedImages == ["broken.jpg: corrupt or truncated JPEG image"])
        #expect(try String(contentsOfFile: dir + "/index.html", encoding: .utf8).contains("skipped 1 unreadable image(s)"))
    }

    @Test func anyOtherFailureOfTheSourceStopsTheRun() throws {
        let dir = try ExternalTools.temporaryDirectory("atlas-source-fails")
        let failure = AtlasError.io("the share went away")
        #expect(throws: failure) {
            _ = try builder().run(units: [0], shard: .whole, images: try images(badAt: 2, error: failure), model: "lite0", directory: dir)
        }
    }

    @Test func aDataPassSplitByImagesMergesToExactlyTheSinglePass() throws {
        let photos = try AtlasTests.photos.get()
        // Five images with a repeat: equal activations on two images test the tie order across parts.
        let items = photos + [photos[1]]
        let indexed = AtlasImages(description: "5 photos", names: items.map(\.0)) { items[$0].1 }
        let one = try ExternalTools.temporaryDirectory("atlas-unsplit"), split = try ExternalTools.temporaryDirectory("atlas-split")
        _ = try builder().run(units: [0, 1, 2], shard: .whole, images: .list(items, description: "5 photos"), model: "lite0", directory: one)
        for i in 0..<2 {
            #expect(try builder().topPart(units: [0, 1, 2], part: Shard(index: i, count: 2), images: indexed, model: "lite0", directory: split))
        }
        #expect(try !builder().topPart(units: [0, 1, 2], part: Shard(index: 1, count: 2), images: indexed, model: "lite0", directory: split),
                "a finished part is not redone")
        var lines: [String] = []
        for i in 0..<3 {
            let b = try builder()
            b.log = { lines.append($0) }
            _ = try b.run(units: [0, 1, 2], shard: Shard(index: i, count: 3), images: indexed, model: "lite0", directory: split)
        }
        #expect(lines.filter { $0.hasPrefix("using the split data pass") }.count == 3, "\(lines)")
        _ = try AtlasIndex.merge(directory: split)
        for name in try FileManager.default.subpathsOfDirectory(atPath: one) {
            #expect(FileManager.default.contents(atPath: "\(split)/\(name)") == FileManager.default.contents(atPath: "\(one)/\(name)"),
                    "\(name) equals the single pass's")
        }
        let record = try JSONDecoder().decode(AtlasUnitRecord.self, from: Data(contentsOf: URL(fileURLWithPath: split + "/unit-0000/unit.json")))
        #expect(Set(record.patches.map(\.image)).count == record.patches.count, "one patch per image")
    }

    @Test func twoShardsComputingTheSameUnitAtOnceLeaveOneCleanCopy() throws {
        let one = try ExternalTools.temporaryDirectory("atlas-single"), both = try ExternalTools.temporaryDirectory("atlas-race")
        _ = try builder().run(units: [0], shard: .whole, images: .list(try AtlasTests.photos.get(), description: "4 photos"),
                              model: "lite0", directory: one)
        // Two builders (as two misconfigured shards) on two threads, both owning unit 0 of the same directory.
        let builders = [try builder(), try builder()]
        let photos = try AtlasTests.photos.get()
        let errors = LockedErrors()
        let group = DispatchGroup()
        for b in builders {
            let box = UncheckedBox(b)
            DispatchQueue.global().async(group: group) {
                do { _ = try box.value.run(units: [0], shard: .whole, images: .list(photos, description: "4 photos"), model: "lite0", directory: both) }
                catch { errors.add(error) }
            }
        }
        group.wait()
        #expect(errors.all.isEmpty, "\(errors.all)")
        let names = try FileManager.default.contentsOfDirectory(atPath: both).sorted()
        #expect(names == ["atlas.json", "unit-0000"], "no staging or conflict directories left: \(names)")
        for file in try FileManager.default.contentsOfDirectory(atPath: one + "/unit-0000") {
            #expect(FileManager.default.contents(atPath: "\(one)/unit-0000/\(file)") == FileManager.default.contents(atPath: "\(both)/unit-0000/\(file)"),
                    "\(file) equals the single run's")
        }
    }

    @Test func aConflictingSecondCopyIsKeptAndMergeReportsIt() throws {
        let dir = try ExternalTools.temporaryDirectory("atlas-conflict")
        _ = try builder().run(units: [0, 1], shard: .whole, images: .list(try AtlasTests.photos.get(), description: "4 photos"),
                              model: "lite0", directory: dir)
        // Another shard's copy of unit 1: the same files, one of them different (another binary, say).
        let same = try AtlasUnitDirectory.staging(unit: 1, in: dir)
        let other = try ExternalTools.temporaryDirectory("atlas-other-shard")
        for file in try FileManager.default.contentsOfDirectory(atPath: dir + "/unit-0001") {
            try FileManager.default.copyItem(atPath: "\(dir)/unit-0001/\(file)", toPath: "\(same)/\(file)")
            try FileManager.default.copyItem(atPath: "\(dir)/unit-0001/\(file)", toPath: "\(other)/\(file)")
        }
        #expect(try AtlasUnitDirectory.publish(same, unit: 1, in: dir) == .duplicate)
        #expect(!FileManager.default.fileExists(atPath: same), "an identical copy is dropped")
        _ = try AtlasIndex.merge(directory: dir)

        try Data("another binary".utf8).write(to: URL(fileURLWithPath: other + "/optimized.png"))
        let outcome = try AtlasUnitDirectory.publish(other, unit: 1, in: dir)
        guard case let .conflict(kept) = outcome else { Issue.record("expected a conflict, got \(outcome)"); return }
        #expect(kept.hasPrefix(dir + "/unit-0001.conflict-"))
        #expect(FileManager.default.contents(atPath: dir + "/unit-0001/optimized.png") != Data("another binary".utf8),
                "the first copy stays intact")
        #expect {
            try AtlasIndex.merge(directory: dir)
        } throws: { error in
            "\(error)".contains("1 unit(s) were written twice with different results: unit 1 (unit-0001.conflict-")
        }
    }
}

private final class LockedErrors: @unchecked Sendable {
    private var errors: [any Error] = []
    private let lock = NSLock()
    func add(_ e: any Error) { lock.lock(); errors.append(e); lock.unlock() }
    var all: [any Error] { lock.lock(); defer { lock.unlock() }; return errors }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
