import Foundation
import Imaging

/// Pictures and pages made from an optimization history.
public enum HistoryExport {
    /// The history as one row of images (every `stride`-th entry plus the last), each scaled to `cell` pixels wide.
    public static func strip(_ history: [HistoryEntry], maxFrames: Int = 12, cell: Int = 112) -> RGBImage {
        guard !history.isEmpty else { return RGBImage(width: 1, height: 1) }
        let picked = sample(history, maxFrames)
        let frames = picked.map { e -> RGBImage in
            let h = max(1, e.image.height * cell / max(e.image.width, 1))
            return e.image.width == cell ? e.image : e.image.resized(width: cell, height: h)
        }
        return ContactSheet.make(frames, columns: frames.count, gap: 2)
    }

    /// At most `n` entries, evenly spaced, always including the first and the last.
    static func sample(_ h: [HistoryEntry], _ n: Int) -> [HistoryEntry] {
        guard h.count > n, n >= 2 else { return h }
        return (0..<n).map { h[$0 * (h.count - 1) / (n - 1)] }
    }

    /// A self-contained HTML page: a slider scrubs the history images (inlined PNG data URIs) and an
    /// inline SVG plots the objective, with a marker at the shown step.
    public static func html(_ history: [HistoryEntry], title: String, details: [String] = []) throws -> String {
        let uris = try history.map { "data:image/png;base64," + Data(try $0.image.pngData()).base64EncodedString() }
        let steps = history.map(\.step), values = history.map { Double($0.objective) }
        let w = 480.0, h = 160.0
        let (lo, hi) = (values.min() ?? 0, max(values.max() ?? 1, (values.min() ?? 0) + 1e-6))
        let maxStep = Double(max(steps.last ?? 1, 1))
        func px(_ i: Int) -> (Double, Double) {
            (40 + Double(steps[i]) / maxStep * (w - 50), 10 + (1 - (values[i] - lo) / (hi - lo)) * (h - 30))
        }
        let points = history.indices.map { i in let p = px(i); return String(format: "%.1f,%.1f", p.0, p.1) }.joined(separator: " ")
        let json = { (a: [String]) in "[" + a.joined(separator: ",") + "]" }
        let esc = { (s: String) in s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;") }
        let mx = history.indices.map { String(format: "%.1f", px($0).0) }, my = history.indices.map { String(format: "%.1f", px($0).1) }
        return """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>\(esc(title))</title>
        <style>body{font:14px sans-serif;background:#181818;color:#ddd;margin:16px}img{image-rendering:pixelated;width:448px;height:448px;display:block}
        input{width:448px}svg{background:#222}.d{color:#999;font-size:12px}</style></head><body>
        <h3>\(esc(title))</h3>
        <div style="display:flex;gap:16px"><div><img id="im" src="\(uris.last ?? "")" alt="history image">
        <input id="sl" type="range" min="0" max="\(max(history.count - 1, 0))" value="\(max(history.count - 1, 0))">
        <div id="lab"></div></div><div>
        <svg width="\(Int(w))" height="\(Int(h))" viewBox="0 0 \(Int(w)) \(Int(h))">
        <polyline fill="none" stroke="#6cf" stroke-width="2" points="\(points)"/>
        <text x="2" y="16" fill="#aaa" font-size="11">\(String(format: "%.3g", hi))</text>
        <text x="2" y="\(Int(h) - 20)" fill="#aaa" font-size="11">\(String(format: "%.3g", lo))</text>
        <text x="\(Int(w) - 60)" y="\(Int(h) - 4)" fill="#aaa" font-size="11">step \(Int(maxStep))</text>
        <circle id="mk" r="5" fill="#fc6" cx="\(mx.last ?? "0")" cy="\(my.last ?? "0")"/></svg>
        <p class="d">objective (score to maximize) against step</p>
        \(details.map { "<div class=\"d\">\(esc($0))</div>" }.joined(separator: "\n"))
        </div></div>
        <script>
        const U=\(json(uris.map { "\"\($0)\"" })),S=\(json(steps.map(String.init))),V=\(json(values.map { String(format: "%.5g", $0) })),X=\(json(mx)),Y=\(json(my));
        const sl=document.getElementById('sl'),im=document.getElementById('im'),lab=document.getElementById('lab'),mk=document.getElementById('mk');
        function show(i){im.src=U[i];lab.textContent='step '+S[i]+'  objective '+V[i];mk.setAttribute('cx',X[i]);mk.setAttribute('cy',Y[i]);}
        sl.addEventListener('input',()=>show(+sl.value));show(+sl.value);
        </script></body></html>
        """
    }
}
