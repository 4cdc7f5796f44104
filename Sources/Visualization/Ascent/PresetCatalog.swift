import Foundation
import NeuralNetwork

/// The presets available for a model: the built-in ones plus those its manifest ships (e.g. the
/// search's `tuned-1` … `tuned-4`), and the model's default — the one place that decides it.
public struct PresetCatalog: Sendable {
    public var presets: [Preset]
    /// The preset `optimize` and the viewer use when none is named: the manifest's `default_preset`, else paper-3.
    public var defaultPreset: Preset

    private struct Section: Decodable {
        let presets: [Preset]?
        let default_preset: String?
    }

    /// The built-in presets only (a model without a manifest).
    public static let builtIn = PresetCatalog(presets: Preset.all, defaultPreset: Preset.named(Preset.defaultName)!)

    public init(presets: [Preset], defaultPreset: Preset) { self.presets = presets; self.defaultPreset = defaultPreset }

    /// Reads the `presets` and `default_preset` entries of the model's manifest.
    public init(for info: ModelInfo) throws {
        guard let path = info.manifestPath else { self = .builtIn; return }
        let section: Section
        do { section = try JSONDecoder().decode(Section.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw PresetError.badManifest("\(path): presets: \(error)")
        }
        var list = Preset.all
        for p in section.presets ?? [] {
            if let i = list.firstIndex(where: { $0.name == p.name }) {
                // The paper's presets are the reference: a manifest may not redefine the built-ins.
                throw PresetError.badManifest("\(path): preset '\(p.name)' is built in (index \(i)); give it another name")
            }
            if let o = p.pixelOptions, !(1...PixelOptions.maxOctaves).contains(o.octaves) {
                throw PresetError.badManifest("\(path): preset '\(p.name)': octaves \(o.octaves) is outside 1…\(PixelOptions.maxOctaves)")
            }
            list.append(p)
        }
        let name = section.default_preset ?? Preset.defaultName
        guard let d = list.first(where: { $0.name == name }) else {
            throw PresetError.badManifest("\(path): default_preset '\(name)' is not one of \(list.map(\.name).joined(separator: ", "))")
        }
        self.init(presets: list, defaultPreset: d)
    }

    /// The preset called `name`, or an error listing the valid names.
    public func named(_ name: String) throws -> Preset {
        guard let p = presets.first(where: { $0.name == name }) else {
            throw PresetError.unknown("unknown preset '\(name)'; known: \(presets.map(\.name).joined(separator: ", "))")
        }
        return p
    }
}

/// A preset name or manifest section that makes no sense.
public enum PresetError: Error, CustomStringConvertible {
    case unknown(String)
    case badManifest(String)

    public var description: String {
        switch self {
        case let .unknown(m), let .badManifest(m): return m
        }
    }
}
