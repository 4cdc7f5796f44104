import Foundation
import Imaging
import NeuralNetwork
import Tensors

/// Where an atlas's images come from: a description for `atlas.json` and a pull function
/// (nil at the end). The command layer adapts image folders and sampled video frames to this.
public struct AtlasImages {
    public var description: String
    public var next: () throws -> (name: String, image: RGBImage)?
    /// Random access for sources that have it (image folders): every image's name, and a loader by
    /// index. It lets the data pass be split by images (`AtlasBuilder.topPart`).
    public var indexed: (names: [String], load: (Int) throws -> RGBImage)?

    public init(description: String, next: @escaping () throws -> (name: String, image: RGBImage)?) {
        self.description = description
        self.next = next
    }

    /// A source with random access; `next` walks it in order.
    public init(description: String, names: [String], load: @escaping (Int) throws -> RGBImage) {
        var position = 0
        self.init(description: description) {
            guard position < names.count else { return nil }
            defer { position += 1 }
            return (names[position], try load(position))
        }
        indexed = (names, load)
    }

    /// A fixed list of named images (tests, small folders).
    public static func list(_ items: [(name: String, image: RGBImage)], description: String) -> AtlasImages {
        var i = 0
        return AtlasImages(description: description) {
            defer { i += 1 }
            return i < items.count ? items[i] : nil
        }
    }
}

/// One unit's results, `unit-NNNN/unit.json`: written last, so its presence means the unit is done.
public struct AtlasUnitRecord: Sendable, Equatable, Codable {
    public var unit: Int
    /// Best objective (the unit's activation at the layer's centre) of the optimized image, and its step.
    public var optimizedActivation: Float
    public var optimizedStep: Int
    /// The top patches, strongest first; files `patch-i.png` and `MODE-i.png` (i from 1; MODE: deconvnet, guided or gradient).
    public var patches: [PatchRecord]
    public var files: [String]
    /// Problems of the data pass that did not stop it (unreadable images skipped); nil when none.
    public var warnings: [String]?
}

/// What one call of `AtlasBuilder.run` did.
public struct AtlasRunSummary: Sendable {
    /// Units of this shard computed now.
    public var computed: [Int]
    /// Units of this shard already finished by an earlier run.
    public var skipped: [Int]
}

/// Builds a unit atlas of one layer (Yosinski et al. 2015, Zeiler & Fergus 2014): per unit the
/// optimized image, the top patches over a data set (receptive-field crops of the network's input
/// view) and their deconvnet images. Resumable per unit; deterministic, so shards merge exactly.
public final class AtlasBuilder {
    public let session: Session
    public let info: ModelInfo
    public let layer: String
    public var preset: Preset
    public var iterations: Int
    public var seed: UInt64 = 0
    /// Patches per unit.
    public var patches = 9
    /// How each patch's backward image is made (Zeiler & Fergus's deconvnet by default).
    public var backward = BackwardMode.deconvnet
    /// Images decoded ahead of the forward pass on a second thread (0: decode on the calling thread).
    public var decodeAhead = 4
    /// Called with one line per finished unit (the CLI prints it).
    public var log: (String) -> Void = { _ in }
    /// Called with each unit's finished optimization and its objective's name (`deepvis atlas` saves it in the store).
    public var onOptimized: (_ unit: Int, _ objective: String, _ result: AscentResult) -> Void = { _, _, _ in }

    let layerID: Int
    public let channels: Int
    /// The layer's receptive field in the input.
    public let field: ReceptiveField

    /// Resolves `layer` (names or manifest aliases); it must be spatial ([1, C, H, W]).
    public init(session: Session, info: ModelInfo, layer: String, preset: Preset, iterations: Int? = nil) throws {
        self.session = session
        self.info = info
        self.layer = layer
        self.preset = preset
        self.iterations = iterations ?? preset.iterations
        layerID = try info.layerID(layer, in: session.graph)
        let shape = session.graph.values[layerID].shape
        guard shape.count == 4 else { throw AtlasError.notSpatial(layer: layer, shape: shape) }
        channels = shape[1]
        field = ReceptiveField.of(layer: layerID, in: session.graph)
        guard !field.isGlobal else { throw AtlasError.notSpatial(layer: layer, shape: shape) }
    }

    /// Computes this shard's unfinished units of `units` into `directory`; finished units are skipped.
    public func run(units: [Int], shard: Shard, images: AtlasImages, model: String, directory: String) throws -> AtlasRunSummary {
        if let bad = units.first(where: { !(0..<channels).contains($0) }) {
            throw AtlasError.unitOutOfRange(unit: bad, channels: channels, layer: layer)
        }
        let mine = shard.select(units)
        let done = mine.filter { FileManager.default.fileExists(atPath: "\(directory)/\(AtlasSettings.unitDirectory($0))/unit.json") }
        let pending = mine.filter { !done.contains($0) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var settings = AtlasSettings(model: model, layer: layer, units: units, source: images.description, imageNames: [],
                                     preset: preset, iterations: iterations, seed: seed, patches: patches, backward: backward.rawValue,
                                     receptiveField: field)
        if pending.isEmpty {
            try checkSettings(settings, in: directory, includingImages: false)
            return AtlasRunSummary(computed: [], skipped: done)
        }
        let pass: AtlasDataPass
        if let parts = try AtlasTopPart.complete(in: directory, units: units) {
            log("using the split data pass in \(directory)/top (\(parts.count) parts)")
            pass = try dataPass(units: pending, from: parts, images: images)
        } else {
            pass = try dataPass(units: pending, images: images)
        }
        settings.imageNames = pass.names
        settings.skippedImages = pass.skipped.isEmpty ? nil : pass.skipped
        try checkSettings(settings, in: directory, includingImages: true)
        for (slot, unit) in pending.enumerated() {
            let start = Date()
            let record = try makeUnit(unit, top: pass.top.best[slot], views: pass.views, warnings: pass.skipped, directory: directory)
            let strongest = record.patches.first.map { String(format: "%.3g", $0.activation) } ?? "-"
            log(String(format: "unit %d: optimized %.3g (step %d), top patch %@ of %d; %.1f s", unit,
                       Double(record.optimizedActivation), record.optimizedStep, strongest, pass.names.count, Date().timeIntervalSince(start)))
        }
        return AtlasRunSummary(computed: pending, skipped: done)
    }

    /// Writes `atlas.json`, or checks that the one already there describes the same atlas.
    func checkSettings(_ settings: AtlasSettings, in directory: String, includingImages: Bool) throws {
        let path = "\(directory)/atlas.json"
        if let data = FileManager.default.contents(atPath: path) {
            guard var existing = try? JSONDecoder().decode(AtlasSettings.self, from: data) else {
                throw AtlasError.settingsDiffer(directory: directory, detail: "unreadable atlas.json")
            }
            if !includingImages { existing.imageNames = settings.imageNames; existing.skippedImages = settings.skippedImages }
            guard existing == settings else {
                throw AtlasError.settingsDiffer(directory: directory, detail: Self.difference(existing, settings))
            }
            return
        }
        guard includingImages else { return }
        try FileBytes.writeAtomically(Array(try Self.encoder.encode(settings)), to: path)
    }

    private static func difference(_ a: AtlasSettings, _ b: AtlasSettings) -> String {
        if a.layer != b.layer { return "layer \(a.layer), not \(b.layer)" }
        if a.units != b.units { return "other --units" }
        if a.source != b.source || a.imageNames != b.imageNames { return "images from \(a.source)" }
        if a.preset != b.preset || a.iterations != b.iterations || a.seed != b.seed { return "preset \(a.preset.name), \(a.iterations) iterations, seed \(a.seed)" }
        return "model \(a.model)"
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }()

    /// The optimized image, the patches and their deconvnet images, and `unit.json` last.
    /// Built in a staging directory and renamed into place (see `AtlasUnitDirectory`).
    private func makeUnit(_ unit: Int, top: [PatchRecord], views: [Int: RGBImage], warnings: [String],
                          directory: String) throws -> AtlasUnitRecord {
        let dir = try AtlasUnitDirectory.staging(unit: unit, in: directory)
        let evaluator = try ObjectiveEvaluator(.unit(layer, channel: unit), session: session, space: PixelSpace(info), info: info)
        let ascent = GradientAscent(evaluator: evaluator, preset: preset, iterations: iterations, seed: seed)
        let result = try ascent.run()
        onOptimized(unit, evaluator.objective.name, result)
        var files = ["optimized.png", "optimized-rf.png"]
        try result.best.writePNG(to: "\(dir)/optimized.png")
        // The objective is the centre unit, so only its receptive field carries the picture.
        let shape = session.graph.values[layerID].shape
        let centre = field.box(y: shape[2] / 2, x: shape[3] / 2, imageWidth: info.inputWidth, imageHeight: info.inputHeight)
        try result.best.crop(centre).writePNG(to: "\(dir)/optimized-rf.png")
        for (i, p) in top.enumerated() {
            guard let view = views[p.image] else { preconditionFailure("atlas: view of image \(p.image) was dropped") }
            try view.crop(p.box).writePNG(to: "\(dir)/patch-\(i + 1).png")
            let name = "\(backward.rawValue)-\(i + 1).png"
            try session.patchBackwardImage(view: view, info: info, layer: layerID, channel: unit, patch: p, mode: backward)
                .writePNG(to: "\(dir)/\(name)")
            files += ["patch-\(i + 1).png", name]
        }
        let record = AtlasUnitRecord(unit: unit, optimizedActivation: result.bestObjective, optimizedStep: result.bestStep,
                                     patches: top, files: files, warnings: warnings.isEmpty ? nil : warnings)
        try FileBytes.writeAtomically(Array(try Self.encoder.encode(record)), to: "\(dir)/unit.json")
        switch try AtlasUnitDirectory.publish(dir, unit: unit, in: directory) {
        case .published: break
        case .duplicate: log("unit \(unit): another shard had already written identical results")
        case let .conflict(path): log("warning: unit \(unit): another shard wrote different results; ours are in \(path)")
        }
        return record
    }
}
