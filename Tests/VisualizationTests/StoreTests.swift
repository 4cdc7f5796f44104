import Foundation
import Imaging
import Testing
import TestSupport
import Visualization

/// The unit-image store: round trip, keys, corrupt and truncated entries, the LRU bound, bad directories.
@Suite struct UnitImageStoreTests {
    let key = UnitImageKey(modelSHA256: String(repeating: "ab", count: 32), layer: "blocks.15", unit: 3,
                           objective: "blocks.15:3", preset: Preset.named("paper-3")!, iterations: 30, seed: 7, inputWidth: 16, inputHeight: 12)

    func temporaryDirectory() -> String {
        let dir = NSTemporaryDirectory() + "deepvis-store-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func image(_ seed: UInt8, width: Int = 16, height: Int = 12) -> RGBImage {
        RGBImage(width: width, height: height, pixels: (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed) &* 31) })
    }

    func save(_ store: UnitImageStore, _ key: UnitImageKey, seed: UInt8 = 1) throws {
        let history = (0..<4).map { HistoryEntry(step: $0 * 10, image: image(seed &+ UInt8($0)), objective: Float($0) + 0.5, activation: Float($0)) }
        try store.save(key, preset: Preset.named("paper-3")!, best: image(seed), seen: image(seed &+ 100), history: history,
                       curve: [1, 2.5, 3.25], bestObjective: 3.25, bestStep: 29)
    }

    @Test func savedRunReadsBackExactly() throws {
        let store = try UnitImageStore(root: temporaryDirectory())
        #expect(store.load(key) == nil)
        try save(store, key)
        let run = try #require(store.load(key))
        #expect(run.image == image(1) && run.seen == image(101))
        #expect(run.history.map(\.step) == [0, 10, 20, 30] && run.history.map(\.image) == (0..<4).map { image(1 &+ UInt8($0)) })
        #expect(run.history.map(\.objective) == [0.5, 1.5, 2.5, 3.5])
        #expect(run.record.curve == [1, 2.5, 3.25] && run.record.unit == key)
        // The layout of `deepvis optimize`: NAME.png, NAME-seen.png, NAME.json, read by the same code.
        let dir = store.directory(of: key)
        for suffix in [".png", "-seen.png", "-history.png", "-frames.png", ".html", ".json"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/blocks.15-3-paper-3-s7\(suffix)"), "\(suffix)")
        }
        #expect(try RunFiles.read(dir, name: key.name).image == image(1))
    }

    @Test func otherKeysAreNotServed() throws {
        let store = try UnitImageStore(root: temporaryDirectory())
        try save(store, key)
        var other = key
        other.seed = 8
        #expect(store.load(other) == nil)
        other = key
        other.modelSHA256 = String(repeating: "cd", count: 32)
        #expect(store.load(other) == nil)
        other = key
        other.iterations = 300
        #expect(store.load(other) == nil)
        // A manifest that redefines a preset under the same name (a new search's tuned-1) gets new images.
        other = key
        other.presetDefinition?.stepRule = .adam(0.5)
        #expect(other.name == key.name && store.load(other) == nil && store.loadBest(other) == nil)
        #expect(store.load(key) != nil)
    }

    @Test func truncatedOrCorruptEntriesAreIgnoredAndReplaced() throws {
        let store = try UnitImageStore(root: temporaryDirectory())
        try save(store, key)
        let dir = store.directory(of: key)
        for file in ["\(key.name).png", "\(key.name)-frames.png", "\(key.name).json"] {
            let path = "\(dir)/\(file)"
            let bytes = try #require(FileManager.default.contents(atPath: path))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
            #expect(store.load(key) == nil, "\(file) truncated")
            try save(store, key, seed: 9)
            #expect(store.load(key)?.image == image(9), "\(file) replaced")
        }
    }

    @Test func leastRecentlyUsedEntriesGoFirst() throws {
        let store = try UnitImageStore(root: temporaryDirectory())
        let keys = (0..<3).map { i -> UnitImageKey in
            var k = key
            k.unit = i
            k.objective = "blocks.15:\(i)"
            return k
        }
        for (i, k) in keys.enumerated() {
            try save(store, k, seed: UInt8(i))
            // Distinct, ordered last-use times: key 0 oldest.
            let json = "\(store.directory(of: k))/\(k.name).json"
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: Double(i - 10) * 60)], ofItemAtPath: json)
        }
        #expect(store.load(keys[0]) != nil)   // now the most recently used
        let total = try directorySize(store.root)
        store.trim(to: total - 1)
        #expect(store.load(keys[1]) == nil)
        #expect(store.load(keys[0]) != nil && store.load(keys[2]) != nil)
        #expect(try directorySize(store.root) < total)
    }

    @Test func badDirectoriesGiveOneLineReasons() throws {
        let dir = temporaryDirectory()
        let file = dir + "/plain-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        #expect(throws: UnitImageStoreError.self) { try UnitImageStore(root: file) }
        do {
            _ = try UnitImageStore(root: file + "/below")
            Issue.record("a directory below a file was accepted")
        } catch {
            #expect("\(error)".contains("cannot create cache directory"))
        }
        #expect(UnitImageStore.defaultRoot(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"]) == "/x/deepvis")
        #expect(UnitImageStore.defaultRoot(environment: ["HOME": "/h"]) == "/h/.cache/deepvis")
    }

    func directorySize(_ root: String) throws -> Int {
        var total = 0
        for path in FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [] {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + path)
            if attributes[.type] as? FileAttributeType == .typeRegular { total += attributes[.size] as? Int ?? 0 }
        }
        return total
    }
}
