import Foundation
import Imaging

/// One unit of an atlas as the viewer shows it.
public struct AtlasUnit: Sendable {
    public var record: AtlasUnitRecord
    /// The optimized image (`optimized.png`).
    public var optimized: RGBImage
    /// The top patches, strongest first (`patch-i.png`).
    public var patches: [RGBImage]
    /// Their backward images (`MODE-i.png`), in the same order.
    public var backward: [RGBImage]
}

/// A `deepvis atlas` output opened read-only (merged or not: finished units are read from their `unit.json`).
public struct AtlasReader: Sendable {
    public let directory: String
    public let settings: AtlasSettings

    /// Opens `directory`; throws a one-line reason if it is missing, not an atlas, or made for another model or layer
    /// shape (`modelFile` is the model's file name; `channels` the number of channels of each layer by name).
    public init(directory: String, modelFile: String, channels: [String: Int]) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw UnitImageStoreError(description: "--atlas '\(directory)' does not exist")
        }
        guard isDirectory.boolValue else { throw UnitImageStoreError(description: "--atlas '\(directory)' is not a directory") }
        guard let data = FileManager.default.contents(atPath: "\(directory)/atlas.json") else {
            throw UnitImageStoreError(description: "--atlas '\(directory)' is not a deepvis atlas (no atlas.json)")
        }
        let settings: AtlasSettings
        do {
            settings = try JSONDecoder().decode(AtlasSettings.self, from: data)
        } catch {
            throw UnitImageStoreError(description: "--atlas '\(directory)': unreadable atlas.json")
        }
        guard settings.model == modelFile else {
            throw UnitImageStoreError(description: "--atlas '\(directory)' was made with \(settings.model), not \(modelFile)")
        }
        guard let count = channels[settings.layer], settings.units.allSatisfy({ $0 < count }) else {
            throw UnitImageStoreError(description: "--atlas '\(directory)': layer \(settings.layer) does not match this model's")
        }
        self.directory = directory
        self.settings = settings
    }

    /// The layer the atlas covers.
    public var layer: String { settings.layer }

    /// A finished unit's images, or nil if the atlas does not hold it (or its files are unreadable).
    public func unit(_ unit: Int) -> AtlasUnit? {
        let dir = "\(directory)/\(AtlasSettings.unitDirectory(unit))"
        guard let data = FileManager.default.contents(atPath: "\(dir)/unit.json"),
              let record = try? JSONDecoder().decode(AtlasUnitRecord.self, from: data), record.unit == unit,
              let optimized = try? ImageCodec.read(path: "\(dir)/optimized.png") else { return nil }
        let count = record.patches.count
        let patches = (1...max(count, 1)).prefix(count).compactMap { try? ImageCodec.read(path: "\(dir)/patch-\($0).png") }
        let backward = (1...max(count, 1)).prefix(count).compactMap {
            try? ImageCodec.read(path: "\(dir)/\(settings.backward)-\($0).png")
        }
        return AtlasUnit(record: record, optimized: optimized, patches: patches, backward: backward)
    }
}
