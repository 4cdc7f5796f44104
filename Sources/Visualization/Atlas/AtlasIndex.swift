import Foundation
import Imaging

/// Combines the per-unit results of an atlas directory (from one run or many shards) into
/// `index.json` and `index.html`.
public enum AtlasIndex {
    /// Reads `atlas.json` and every unit's `unit.json`; throws `.missingUnits` naming any unit without results.
    public static func merge(directory: String) throws -> (settings: AtlasSettings, units: [AtlasUnitRecord]) {
        guard let data = FileManager.default.contents(atPath: "\(directory)/atlas.json") else {
            throw AtlasError.notAnAtlas(directory: directory)
        }
        let settings = try JSONDecoder().decode(AtlasSettings.self, from: data)
        let conflicts = AtlasUnitDirectory.conflicts(in: directory).filter { settings.units.contains($0.key) }
        guard conflicts.isEmpty else { throw AtlasError.conflictingDuplicates(directory: directory, units: conflicts) }
        var records: [AtlasUnitRecord] = [], missing: [Int] = []
        for unit in settings.units {
            let dir = "\(directory)/\(AtlasSettings.unitDirectory(unit))"
            guard let bytes = FileManager.default.contents(atPath: "\(dir)/unit.json"),
                  let record = try? JSONDecoder().decode(AtlasUnitRecord.self, from: bytes),
                  record.files.allSatisfy({ FileManager.default.fileExists(atPath: "\(dir)/\($0)") }) else {
                missing.append(unit)
                continue
            }
            records.append(record)
        }
        guard missing.isEmpty else { throw AtlasError.missingUnits(directory: directory, units: missing) }
        let index = Array(try AtlasBuilder.encoder.encode(records))
        try FileBytes.writeAtomically(index, to: "\(directory)/index.json")
        try FileBytes.writeAtomically(Array(html(settings, records).utf8), to: "\(directory)/index.html")
        return (settings, records)
    }

    /// One row per unit: optimized image (whole and its receptive field), then the patches and their deconvnet images.
    public static func html(_ s: AtlasSettings, _ units: [AtlasUnitRecord]) -> String {
        let esc = { (t: String) in t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;") }
        let rf = s.receptiveField
        let columns = Int(Double(s.patches).squareRoot().rounded(.up))
        let rows = units.map { u -> String in
            let dir = AtlasSettings.unitDirectory(u.unit)
            func grid(_ prefix: String) -> String {
                let cells = u.patches.enumerated().map { i, p in
                    "<img src=\"\(dir)/\(prefix)-\(i + 1).png\" title=\"\(esc(s.imageNames[p.image])) at (\(p.y),\(p.x)): \(String(format: "%.3g", p.activation))\" alt=\"\(prefix) \(i + 1)\">"
                }
                return "<div class=\"grid\">\(cells.joined())</div>"
            }
            let best = u.patches.first.map { String(format: "%.3g", $0.activation) } ?? "–"
            return """
            <section><h2>unit \(u.unit)</h2><div class="row">
            <figure><img class="big" src="\(dir)/optimized.png" alt="optimized"><figcaption>optimized (\(String(format: "%.3g", u.optimizedActivation)))</figcaption></figure>
            <figure><img class="big" src="\(dir)/optimized-rf.png" alt="optimized, receptive field"><figcaption>its receptive field</figcaption></figure>
            <figure>\(grid("patch"))<figcaption>top \(u.patches.count) patches (best \(best))</figcaption></figure>
            <figure>\(grid(s.backward))<figcaption>\(s.backward)</figcaption></figure>
            </div></section>
            """
        }
        return """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>atlas \(esc(s.layer))</title>
        <style>body{font:14px sans-serif;background:#181818;color:#ddd;margin:16px}h1{font-size:18px}h2{font-size:14px;margin:4px 0}
        section{border-top:1px solid #333;padding:6px 0}.row{display:flex;gap:14px;align-items:flex-start}figure{margin:0}
        figcaption{color:#999;font-size:12px}img{image-rendering:pixelated;background:#333}.big{width:160px;height:160px}
        .grid{display:grid;grid-template-columns:repeat(\(columns),52px);gap:2px}.grid img{width:52px;height:52px}.d{color:#999}</style></head><body>
        <h1>\(esc(s.layer)) — \(units.count) units</h1>
        <p class="d">model \(esc(s.model)); patches from \(esc(s.source)) (\(s.imageNames.count) images); receptive field \(rf.rows.size)×\(rf.columns.size) px,
        stride \(rf.rows.stride); optimized with \(esc(s.preset.name)), \(s.iterations) iterations, seed \(s.seed). Hover a patch for its image and activation.</p>
        \(s.skippedImages.map { "<p class=\"d\">skipped \($0.count) unreadable image(s): \(esc($0.joined(separator: "; ")))</p>" } ?? "")
        \(rows.joined(separator: "\n"))
        </body></html>
        """
    }
}
