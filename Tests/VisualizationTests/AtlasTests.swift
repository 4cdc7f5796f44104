import Foundation
import Imaging
import NeuralNetwork
import ONNXImport
import Tensors
import Testing
import TestSupport
import Visualization

/// Shard arithmetic and the shard environment of Slurm array jobs and Kubernetes Indexed Jobs.
@Suite struct ShardTests {
    @Test func parsesUnitsAndShards() throws {
        #expect(try parseUnits("3,0-2,2") == [0, 1, 2, 3])
        #expect(throws: AtlasError.badUnits("5-2")) { try parseUnits("5-2") }
        #expect(throws: AtlasError.self) { try parseUnits("a") }
        #expect(try Shard(parsing: "2/3") == Shard(index: 2, count: 3))
        #expect(throws: AtlasError.self) { try Shard(parsing: "3/3") }
        #expect(throws: AtlasError.self) { try Shard(parsing: "1") }
    }

    @Test func everyUnitBelongsToExactlyOneShard() {
        let units = Array(0..<10)
        let parts = (0..<3).map { Shard(index: $0, count: 3).select(units) }
        #expect(parts == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]])
        #expect(Shard.whole.select(units) == units)
    }

    @Test func readsTheEnvironment() throws {
        #expect(try Shard.fromEnvironment([:]) == nil)
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"]) == Shard(index: 2, count: 4))
        // `sbatch --array=1-4`: ids start at 1.
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"])
                == Shard(index: 3, count: 4))
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "1"], count: 3) == Shard(index: 1, count: 3))
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "0", "DEEPVIS_SHARD_COUNT": "2"]) == Shard(index: 0, count: 2))
        #expect(throws: AtlasError.self) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "0"]) }
        #expect(throws: AtlasError.self) { try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4"]) }
        #expect(throws: AtlasError.self) { try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"]) }
    }
}

/// Receptive fields from the graph, against hand-worked numbers and against gradient support.
@Suite struct ReceptiveFieldTests {
    @Test func twoConvolutions() throws {
        var g = Graph()
        let x = g.addInput("x", shape: [1, 1, 16, 16])
        let w = g.addConstant("w", Tensor(shape: [1, 1, 3, 3], values: .init(repeating: 1, count: 9)))
        let a = try g.addNode("a", Conv(kernel: [3, 3], strides: [2, 2], pads: [0, 1, 1, 1]), inputs: [x, w], output: "a")
        let b = try g.addNode("b", Conv(kernel: [3, 3], pads: [1, 1, 1, 1], dilations: [2, 2]), inputs: [a, w], output: "b")
        g.outputs = [b]
        // a: rows 2i … 2i+2, columns 2j−1 … 2j+1; b (dilation 2, pad 1): a-rows i−1 … i+3 → 2i−2 … 2i+8.
        let rf = ReceptiveField.of(layer: b, in: g)
        #expect(rf.rows == .init(stride: 2, low: -2, high: 8))
        #expect(rf.columns == .init(stride: 2, low: -3, high: 7))
        #expect(rf.box(y: 3, x: 2, imageWidth: 16, imageHeight: 16) == PixelBox(x: 1, y: 4, width: 11, height: 11))
    }

    @Test func containsTheGradientSupportOnTheRealModel() throws {
        let model = try ONNXModel.load(path: Fixtures.requireDefaultModel())
        let info = try ModelInfo.forModel(at: Fixtures.defaultModel, graph: model.graph)
        let session = Session(graph: model.graph)
        let layer = try info.layerID("blocks.3", in: model.graph)
        let rf = ReceptiveField.of(layer: layer, in: model.graph)
        session.input.assign(info.inputTensor(for: try ImageCodec.read(path: "\(Fixtures.photosDir)/chelsea.png")))
        let box = rf.box(y: 14, x: 14, imageWidth: 224, imageHeight: 224)
        let g = try session.backwardImage(layer: layer, unit: UnitAddress(channel: 0, position: (14, 14)), mode: .gradient)
        var (x0, y0, x1, y1) = (Int.max, Int.max, Int.min, Int.min)
        for c in 0..<3 { for y in 0..<224 { for x in 0..<224 where g[(c * 224 + y) * 224 + x] != 0 {
            (x0, y0, x1, y1) = (min(x0, x), min(y0, y), max(x1, x), max(y1, y))
        } } }
        print("blocks.3 receptive field \(box); gradient support x \(x0)…\(x1), y \(y0)…\(y1)")
        #expect(x0 >= box.x && y0 >= box.y && x1 < box.x + box.width && y1 < box.y + box.height)
        #expect(x1 - x0 + 1 >= box.width * 3 / 4 && y1 - y0 + 1 >= box.height * 3 / 4, "the box is not much larger than the support")
    }
}

/// The atlas on the real model: shards merge to exactly the single run, and reruns resume.
@Suite(.serialized)
struct AtlasTests {
    static let model = Result { try ONNXModel.load(path: Fixtures.requireDefaultModel()) }
    static let photos = Result {
        try ["astronaut", "chelsea", "coffee", "rocket"].map { ("\($0).png", try ImageCodec.read(path: "\(Fixtures.photosDir)/\($0).png")) }
    }

    /// Runs shards `shards` (all of `count`), then merges.
    private func atlas(_ dir: String, shards: [Int], of count: Int, units: [Int] = [0, 1, 2, 3]) throws -> [AtlasRunSummary] {
        let graph = try Self.model.get().graph
        let info = try ModelInfo.forModel(at: Fixtures.defaultModel, graph: graph)
        var out: [AtlasRunSummary] = []
        for i in shards {
            // A fresh session per shard, as separate processes would have.
            let builder = try AtlasBuilder(session: Session(graph: graph), info: info, layer: "blocks.1", preset: Preset.named("paper-3")!,
                                           iterations: 3)
            builder.patches = 3
            out.append(try builder.run(units: units, shard: Shard(index: i, count: count),
                                       images: .list(try Self.photos.get(), description: "4 photos"), model: "lite0", directory: dir))
        }
        if shards.count == count { _ = try AtlasIndex.merge(directory: dir) }
        return out
    }

    private func modified(_ path: String) throws -> Date {
        try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
    }

    @Test func threeShardsMergedEqualOneRun() throws {
        let one = try ExternalTools.temporaryDirectory("atlas-one"), three = try ExternalTools.temporaryDirectory("atlas-three")
        _ = try atlas(one, shards: [0], of: 1)
        let summaries = try atlas(three, shards: [0, 1, 2], of: 3)
        #expect(summaries.map(\.computed) == [[0, 3], [1], [2]])
        let a = try Fixtures.fileContents(under: one), b = try Fixtures.fileContents(under: three)
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.keys.contains("unit-0002/deconvnet-3.png") && a.keys.contains("index.html") && a.count == 4 * 9 + 3)
        for (name, bytes) in a { #expect(b[name] == bytes, "\(name) differs between the single run and the merged shards") }
        let records = try JSONDecoder().decode([AtlasUnitRecord].self, from: a["index.json"]!)
        #expect(records.map(\.unit) == [0, 1, 2, 3])
        #expect(records.allSatisfy { $0.patches.count == 3 && $0.patches.map(\.activation) == $0.patches.map(\.activation).sorted(by: >) })
    }

    @Test func interruptedRunResumesWithoutRedoingFinishedUnits() throws {
        let dir = try ExternalTools.temporaryDirectory("atlas-resume")
        _ = try atlas(dir, shards: [0], of: 1)
        let reference = try Fixtures.fileContents(under: dir)
        // An interruption: unit 2 never started, unit 1 died before its record was written.
        try FileManager.default.removeItem(atPath: "\(dir)/unit-0002")
        try FileManager.default.removeItem(atPath: "\(dir)/unit-0001/unit.json")
        try FileManager.default.removeItem(atPath: "\(dir)/index.html")
        #expect(throws: AtlasError.missingUnits(directory: dir, units: [1, 2])) { try AtlasIndex.merge(directory: dir) }
        let before = try [0, 3].map { try modified("\(dir)/unit-000\($0)/unit.json") }
        let summary = try atlas(dir, shards: [0], of: 1)[0]
        #expect(summary.computed == [1, 2] && summary.skipped == [0, 3])
        #expect(try [0, 3].map { try modified("\(dir)/unit-000\($0)/unit.json") } == before)
        #expect(try Fixtures.fileContents(under: dir) == reference, "the resumed atlas equals the uninterrupted one")
        #expect(try atlas(dir, shards: [0], of: 1)[0].computed.isEmpty, "a finished atlas is not recomputed")
    }

    @Test func refusesToMixSettings() throws {
        let dir = try ExternalTools.temporaryDirectory("atlas-mix")
        _ = try atlas(dir, shards: [0], of: 2, units: [0, 1])
        #expect(throws: AtlasError.self) { _ = try atlas(dir, shards: [1], of: 2, units: [0, 1, 2]) }
    }
}
