import Foundation
import Imaging

/// One shard's share of a data pass split by images (`deepvis atlas --top-only`): every unit's top
/// patches among the images `k` with `k mod count == index`. Stored as `top/part-I-of-N.json`.
public struct AtlasTopPart: Sendable, Equatable, Codable {
    public var index: Int
    public var count: Int
    public var units: [Int]
    /// Per unit (in `units` order), its best patches among this part's images; `image` indexes the whole list.
    public var best: [[PatchRecord]]
    /// Unreadable images of this part, by index in the whole list: "name: reason".
    public var skipped: [Int: String]

    /// `top/part-I-of-N.json`.
    public static func path(in directory: String, index: Int, count: Int) -> String {
        "\(directory)/top/part-\(index)-of-\(count).json"
    }

    /// All parts of one complete split in `directory/top`, or nil if none is complete.
    static func complete(in directory: String, units: [Int]) throws -> [AtlasTopPart]? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/top")) ?? []
        let counts = Set(names.compactMap { name -> Int? in
            guard name.hasPrefix("part-"), name.hasSuffix(".json"), let of = name.range(of: "-of-") else { return nil }
            return Int(name[of.upperBound...].dropLast(5))
        })
        for count in counts.sorted() {
            let paths = (0..<count).map { path(in: directory, index: $0, count: count) }
            guard paths.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else { continue }
            let parts = try paths.map { try JSONDecoder().decode(AtlasTopPart.self, from: Data(contentsOf: URL(fileURLWithPath: $0))) }
            guard parts.allSatisfy({ $0.units == units }) else {
                throw AtlasError.settingsDiffer(directory: directory, detail: "top/part-*-of-\(count).json were made for other --units")
            }
            return parts
        }
        return nil
    }

    /// The merged top `k` of `unit` over all parts: strongest first, ties to the earlier image —
    /// the same order one pass over all images gives, so the merge is exact.
    static func merged(_ parts: [AtlasTopPart], unit: Int, k: Int) -> [PatchRecord] {
        let all = parts.flatMap { part in part.units.firstIndex(of: unit).map { part.best[$0] } ?? [] }
        return Array(all.sorted { $0.activation != $1.activation ? $0.activation > $1.activation : $0.image < $1.image }.prefix(k))
    }
}

extension AtlasBuilder {
    /// Part `part.index` of a data pass split `part.count` ways by images: searches the images
    /// `k mod count == index` for every unit of `units` and writes `top/part-I-of-N.json`. Returns false
    /// when that part was already there. A later `run` over the same directory merges the parts
    /// instead of making its own data pass.
    public func topPart(units: [Int], part: Shard, images: AtlasImages, model: String, directory: String) throws -> Bool {
        guard let (names, load) = images.indexed else {
            throw AtlasError.badShard("splitting the data pass needs an image folder (--images), not \(images.description)")
        }
        if let bad = units.first(where: { !(0..<channels).contains($0) }) {
            throw AtlasError.unitOutOfRange(unit: bad, channels: channels, layer: layer)
        }
        let path = AtlasTopPart.path(in: directory, index: part.index, count: part.count)
        // Checked against an existing atlas.json, never written here: the skipped images of the other parts are not known yet.
        let settings = AtlasSettings(model: model, layer: layer, units: units, source: images.description, imageNames: names,
                                     preset: preset, iterations: iterations, seed: seed, patches: patches, backward: backward.rawValue,
                                     receptiveField: field)
        try checkSettings(settings, in: directory, includingImages: false)
        if let data = FileManager.default.contents(atPath: path), let old = try? JSONDecoder().decode(AtlasTopPart.self, from: data),
           old.units == units {
            return false
        }
        let mine = names.indices.filter { $0 % part.count == part.index }
        var queue = mine[...]
        let source = AtlasImages(description: images.description) {
            guard let i = queue.popFirst() else { return nil }
            return (names[i], try load(i))
        }
        let pass = try dataPass(units: units, images: source, indices: mine)
        let record = AtlasTopPart(index: part.index, count: part.count, units: units, best: pass.top.best, skipped: pass.skippedAt)
        try FileManager.default.createDirectory(atPath: directory + "/top", withIntermediateDirectories: true)
        try FileBytes.writeAtomically(Array(try Self.encoder.encode(record)), to: path)
        return true
    }

    /// The data pass from the parts of a split one: merged top lists, and only the views they refer to decoded.
    func dataPass(units: [Int], from parts: [AtlasTopPart], images: AtlasImages) throws -> AtlasDataPass {
        guard let (names, load) = images.indexed else {
            throw AtlasError.badShard("\(images.description) cannot use the split data pass in top/ (it needs an image folder)")
        }
        var pass = AtlasDataPass(top: TopActivations(units: units, k: patches, field: field,
                                                     imageWidth: info.inputWidth, imageHeight: info.inputHeight))
        pass.names = names
        for part in parts { pass.skippedAt.merge(part.skipped) { a, _ in a } }
        pass.top.best = units.map { AtlasTopPart.merged(parts, unit: $0, k: patches) }
        for image in pass.top.referencedImages.sorted() {
            guard names.indices.contains(image) else { throw AtlasError.settingsDiffer(directory: "top/", detail: "image \(image) out of range") }
            pass.views[image] = info.networkView(of: try load(image))
        }
        return pass
    }
}
