import Foundation
import NeuralNetwork
import Testing
import TestSupport
import Visualization

/// Presets shipped in a model's manifest, and the search's sampling and halving plan.
@Suite struct PresetCatalogTests {
    static func manifest(_ extra: String) throws -> ModelInfo {
        let dir = try ExternalTools.temporaryDirectory("catalog")
        let path = dir + "/m.json"
        let text = """
        {"name": "m", "input": {"width": 8, "height": 8, "mean": [0, 0, 0], "std": [1, 1, 1]}\(extra)}
        """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try ModelInfo.load(manifest: path)
    }

    @Test func manifestPresetsAndDefault() throws {
        let tuned = Preset(name: "tuned-1", summary: "t", iterations: 64, stepRule: .normalized(0.5),
                           regularizers: [.blur(width: 0.7, every: 1)], parameterization: .pixels(startStd: 30))
        let json = String(decoding: try JSONEncoder().encode([tuned]), as: UTF8.self)
        let catalog = try PresetCatalog(for: try Self.manifest(", \"presets\": \(json), \"default_preset\": \"tuned-1\""))
        #expect(catalog.defaultPreset == tuned)
        #expect(try catalog.named("paper-3") == Preset.named("paper-3")!)
        #expect(catalog.presets.map(\.name) == Preset.all.map(\.name) + ["tuned-1"])
        // Without a section: the built-ins and paper-3.
        #expect(try PresetCatalog(for: try Self.manifest("")).defaultPreset.name == "paper-3")
    }

    @Test func badSectionsAreClearErrors() throws {
        let redefined = Preset(name: "paper-3", summary: "x", iterations: 1, stepRule: .constant(1), regularizers: [])
        let json = String(decoding: try JSONEncoder().encode([redefined]), as: UTF8.self)
        #expect { try PresetCatalog(for: try Self.manifest(", \"presets\": \(json)")) } throws: { "\($0)".contains("built in") }
        #expect { try PresetCatalog(for: try Self.manifest(", \"default_preset\": \"nope\"")) } throws: { "\($0)".contains("'nope'") }
        #expect { try PresetCatalog.builtIn.named("nope") } throws: { "\($0)".contains("paper-1, paper-2") }
        let deep = Preset(name: "deep", summary: "x", iterations: 8, stepRule: .constant(1), regularizers: [],
                          pixelOptions: PixelOptions(octaves: 99))
        let deepJSON = String(decoding: try JSONEncoder().encode([deep]), as: UTF8.self)
        #expect { try PresetCatalog(for: try Self.manifest(", \"presets\": \(deepJSON)")) } throws: { "\($0)".contains("octaves 99 is outside 1…8") }
    }

    @Test func searchPlanIsDeterministicPerSeedAndHalves() {
        let a = SearchPlan.standard(candidates: 40, seed: 3, model: "m", judges: ["j"])
        var b = a
        #expect(a.sampled() == b.sampled(), "same seed, same combinations")
        b.seed = 4
        #expect(a.sampled() != b.sampled())
        #expect(a.survivors == 4 && a.firstRound().count == 80)
        #expect(Set(a.sampled().map(\.name)).count == 40)
        let ranked = a.sampled().map(\.name).reversed().map { $0 }
        let second = a.secondRound(ranked: Array(ranked))
        // The 4 best of the ranking plus paper-3, each on 12 classes and 6 units.
        #expect(Set(second.map(\.preset.name)) == Set(ranked.prefix(4) + ["paper-3"]))
        #expect(second.count == 5 * 18)
        #expect(second.allSatisfy { $0.preset.name == "paper-3" || $0.steps == 512 })
        for p in a.sampled() {
            #expect(p.jitter == nil, "pixel-space presets: no jitter, only the paper's regularizers")
            if case .spectral = p.parameterization { Issue.record("\(p.name) is not pixel space") }
        }
    }
}
