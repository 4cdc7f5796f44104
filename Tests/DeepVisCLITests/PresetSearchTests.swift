import Foundation
import Testing
import TestSupport

/// The preset search, the judge option and the basic iterative method, driven through the release CLI.
@Suite(.serialized) struct PresetSearchTests {
    static let lite1 = Fixtures.root + "/Models/efficientnet-lite1.onnx"

    static func requireJudge() throws {
        guard FileManager.default.fileExists(atPath: lite1) else { throw ExternalToolError("\(lite1) missing: run Scripts/fetch-model lite1") }
    }

    /// A tiny search: 2 combinations, 3 then 4 steps, 2 classes; units at full plan (cheap at 4 steps).
    static func search(_ out: String, shard: String? = nil) throws -> CLI.Result {
        var args = ["optimize", "--search", "2", "--search-steps", "3", "--iterations", "4", "--search-classes", "2",
                    "--search-trials", "2", "--judge", lite1, "--seed", "5", "--threads", "1", "--out", out]
        if let shard { args += ["--shard", shard] }
        return try CLI.run(args)
    }

    /// Every job's record minus its wall time, by file name.
    static func records(_ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for f in try FileManager.default.contentsOfDirectory(atPath: dir + "/jobs") where f.hasSuffix(".json") {
            var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/jobs/\(f)"))) as! [String: Any]
            obj["seconds"] = nil
            out[f] = String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self)
        }
        return out
    }

    @Test func searchIsDeterministicPerSeedAndShardsResumeToTheSameResult() throws {
        try Self.requireJudge()
        let a = try ExternalTools.temporaryDirectory("search-a"), b = try ExternalTools.temporaryDirectory("search-b")
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        let whole = try Self.search(a)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.stdout.contains("search done"), "\(whole.stdout.suffix(400))")
        // Two shards, then shard 0 again (it resumes: round 2 needs all of round 1).
        let s0 = try Self.search(b, shard: "0/2")
        #expect(s0.status == 0 && s0.stdout.contains("rerun when the other shards are done"), "\(s0.stdout.suffix(400)) \(s0.stderr)")
        let s1 = try Self.search(b, shard: "1/2")
        #expect(s1.status == 0, "\(s1.stderr)")
        let again = try Self.search(b, shard: "0/2")
        #expect(again.status == 0 && again.stdout.contains("search done"), "\(again.stdout.suffix(400)) \(again.stderr)")
        let ra = try Self.records(a), rb = try Self.records(b)
        // 2×2 first-round jobs; 2 survivors + paper-3 on 2 classes and 6 units.
        #expect(ra.count == 4 + 3 * 8, "\(ra.keys.sorted())")
        #expect(ra == rb, "the same seed gives the same scores however the work is split")
        for f in ra.keys { 
            let png = f.replacingOccurrences(of: ".json", with: ".png")
            #expect(FileManager.default.contents(atPath: "\(a)/jobs/\(png)") == FileManager.default.contents(atPath: "\(b)/jobs/\(png)"), "\(png)")
        }
        let tuned = try String(contentsOfFile: a + "/tuned-presets.json", encoding: .utf8)
        #expect(tuned.contains("\"tuned-1\"") && tuned.contains("\"tuned-2\""), "\(tuned)")
        let html = try String(contentsOfFile: a + "/results.html", encoding: .utf8)
        #expect(html.contains("<img src=\"jobs/r2-paper-3-class9.png\""), "\(html.prefix(600))")
        // Another setting in the same directory is refused, not mixed in.
        let other = try CLI.run(["optimize", "--search", "3", "--judge", Self.lite1, "--out", a])
        #expect(other.status != 0 && other.stderr.contains("other settings"), "\(other.stderr)")
    }

    @Test func searchWithoutAJudgeIsAClearError() throws {
        let r = try CLI.run(["optimize", "--search", "2", "--out", "/tmp/deepvis-nojudge"])
        #expect(r.status != 0 && r.stderr.contains("--judge"), "\(r.stderr)")
        let bad = try CLI.run(["optimize", "--layer", "logits", "--unit", "1", "--preset", "nope", "--out", "/tmp/deepvis-nope"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown preset 'nope'") && bad.stderr.contains("paper-3"), "\(bad.stderr)")
    }

    @Test func iterativeFGSMMakesTheTargetTopOneForOnnxruntime() throws {
        let out = try ExternalTools.temporaryDirectory("bim")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let flamingo = 130
        let r = try CLI.run(["adversarial", Fixtures.photosDir + "/chelsea.png", "--target", "\(flamingo)", "--epsilon", "8",
                             "--iterations", "10", "--step-size", "1", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("iteration ") }
        #expect(lines.count == 10, "one line per iteration: \(r.stdout)")
        #expect(lines.last?.contains("top-1 130 flamingo") == true, "\(lines)")
        // The independent check: onnxruntime on the written PNG (the bytes, not our tensor).
        let script = """
        import sys, numpy as np, onnxruntime as ort
        from PIL import Image
        x = np.asarray(Image.open(sys.argv[2]).convert('RGB'), dtype=np.float32)
        x = ((x - 127.0) / 128.0).transpose(2, 0, 1)[None]
        s = ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])
        print(int(np.argmax(s.run(None, {s.get_inputs()[0].name: x})[0])))
        """
        let top = try ExternalTools.run(try ExternalTools.python(), ["-c", script, Fixtures.defaultModel, out + "/chelsea-fgsm-130.png"])
        #expect(String(decoding: top, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "\(flamingo)")
    }

    /// The shipped presets (tuned-1 and the model's default, modern) recomputed on two classes at 128 steps
    /// (their full runs: Docs/VISUALIZATION.md); a lower bar than the full-length target, so a regression
    /// in the regularizers, step rules, pixel options or parameterization shows.
    ///
    /// tuned-1's rate on another network depends on the trajectory: over seeds 0–3, lite1's top 5 took 15–75 % of
    /// the copies of one class, and two builds whose gradients agree to rounding (identical 8-bit backward images)
    /// gave 70 % and 30 % on the same seed. So its other-network bar is pooled over both classes and two seeds (80
    /// copies; 46–66 % over seed pairs 0–1 and 2–3 with both builds), where one run's luck does not decide it.
    /// Same-model top 1 held ≥ 70 % in every run but one (50 %, seed 2), modern's lite1 top 5 100 %.
    @Test func shippedPresetsKeepTheirRatesOnTwoClasses() throws {
        try Self.requireJudge()
        let out = try ExternalTools.temporaryDirectory("shipped")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let list = try CLI.run(["optimize", "--list-presets"])
        #expect(list.stdout.contains("tuned-1:") && list.stdout.contains("tuned-4:"), "\(list.stdout)")
        #expect(list.stdout.contains("(default for efficientnet-lite0)"), "\(list.stdout)")
        for (presets, seed) in [("tuned-1,modern", 0), ("tuned-1", 1)] {
            let r = try CLI.run(["optimize", "--layer", "logits", "--units", "145,980", "--presets", presets, "--iterations", "128",
                                 "--history-every", "0", "--judge", Self.lite1, "--threads", "2", "--seed", "\(seed)", "--out", out],
                                timeout: 900)
            #expect(r.status == 0, "\(r.stderr)")
        }
        var tunedOther: [Double] = []
        for (preset, seed) in [("tuned-1", 0), ("modern", 0), ("tuned-1", 1)] {
            for k in [145, 980] {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/logit-\(k)-\(preset)-s\(seed).json"))
                let record = try JSONSerialization.jsonObject(with: data) as! [String: Any]
                let v = record["verdicts"] as! [[String: Any]]
                func rate(_ i: Int, _ view: String, _ key: String) -> Double { ((v[i][view] as! [String: Any])[key] as! NSNumber).doubleValue }
                #expect(v.count == 2 && (v[1]["name"] as? String) == "efficientnet-lite1")
                #expect(rate(0, "seen", "top1") >= 0.6 && rate(0, "shown", "top1") >= 0.6, "\(preset) \(k) seed \(seed): \(v)")
                if preset == "modern" {
                    #expect(rate(1, "seen", "top5") >= 0.5 && rate(1, "shown", "top5") >= 0.5, "\(preset) \(k): \(v)")
                } else {
                    tunedOther += [rate(1, "seen", "top5"), rate(1, "shown", "top5")]
                }
            }
        }
        // Seen and shown of 2 classes × 2 seeds: each view pooled over its 80 copies.
        let seen = stride(from: 0, to: tunedOther.count, by: 2).map { tunedOther[$0] }
        let shown = stride(from: 1, to: tunedOther.count, by: 2).map { tunedOther[$0] }
        #expect(seen.reduce(0, +) / 4 >= 0.35 && shown.reduce(0, +) / 4 >= 0.35, "tuned-1 on lite1, top 5: seen \(seen), shown \(shown)")
    }
}
