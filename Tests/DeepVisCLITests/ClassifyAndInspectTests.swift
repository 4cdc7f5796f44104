import Foundation
import TestSupport
import Testing

/// The command-line tool as a user runs it, on real photographs.
@Suite struct ClassifyAndInspectTests {
    static func photo(_ name: String) -> String { Fixtures.photosDir + "/" + name }

    /// The class names printed for one image, most probable first.
    static func classes(_ output: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasPrefix("  ") }.map {
            String($0.split(separator: "%", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces)
        }
    }

    @Test func catPhotoIsACatFirst() throws {
        let r = try CLI.run(["classify", Self.photo("chelsea.jpg")])
        #expect(r.status == 0, "\(r.stderr)")
        let top = Self.classes(r.stdout)
        #expect(top.count == 5)
        let cats = ["tabby, tabby cat", "tiger cat", "Persian cat", "Siamese cat, Siamese", "Egyptian cat"]
        #expect(cats.contains(top.first ?? ""), "\(top)")
    }

    @Test func coffeeIsEspressoOrCup() throws {
        let r = try CLI.run(["classify", Self.photo("coffee.png")])
        let top = Self.classes(r.stdout)
        #expect(top.contains("espresso") || top.contains("cup"), "\(top)")
    }

    @Test func rocketIsAMissileOrProjectile() throws {
        let r = try CLI.run(["classify", Self.photo("rocket.jpg")])
        let top = Self.classes(r.stdout)
        #expect(top.contains { $0.contains("missile") || $0.contains("projectile") || $0.contains("space shuttle") }, "\(top)")
    }

    @Test func notAnImageIsAClearErrorAndOthersStillRun() throws {
        let r = try CLI.run(["classify", "/etc/hostname", Self.photo("chelsea.jpg"), "/nonexistent.png"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("deepvis: /etc/hostname: not a JPEG or PNG image"), "\(r.stderr)")
        #expect(r.stderr.contains("deepvis: /nonexistent.png:"), "\(r.stderr)")
        #expect(Self.classes(r.stdout).count == 5, "the good image is still classified")
    }

    @Test func inspectCountsMultiplyAddsAndParameters() throws {
        let r = try CLI.run(["inspect"])
        #expect(r.status == 0, "\(r.stderr)")
        // The independently counted figure for EfficientNet-Lite0 (shared/FACTS.md §0): 385.2 M multiply-adds.
        #expect(r.stdout.contains("385.2 M multiply-adds"), "\(r.stdout.suffix(300))")
        #expect(r.stdout.contains("blocks.11.depthwise"))
    }

    @Test func missingModelAndBadOptionsAreClearErrors() throws {
        let r = try CLI.run(["classify", "--model", "/nonexistent/model.onnx", Self.photo("chelsea.jpg")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/model.onnx: no such file"), "\(r.stderr)")
        let t = try CLI.run(["classify", "--threads", "0", Self.photo("chelsea.jpg")])
        #expect(t.status != 0 && t.stderr.contains("--threads"), "\(t.stderr)")
    }

    @Test func backpropErrorsListValidChoices() throws {
        let layer = try CLI.run(["backprop", Self.photo("chelsea.jpg"), "--layer", "conv99", "--unit", "1", "--out", "/tmp/x.png"])
        #expect(layer.status != 0 && layer.stderr.contains("no layer named 'conv99'") && layer.stderr.contains("blocks.3"), "\(layer.stderr)")
        let unit = try CLI.run(["backprop", Self.photo("chelsea.jpg"), "--layer", "blocks.5", "--unit", "80", "--out", "/tmp/x.png"])
        #expect(unit.status != 0 && unit.stderr.contains("unit 80 is out of range for layer 'blocks.5' of shape 1×80×14×14"), "\(unit.stderr)")
        let syntax = try CLI.run(["backprop", Self.photo("chelsea.jpg"), "--layer", "blocks.5", "--unit", "1,2", "--out", "/tmp/x.png"])
        #expect(syntax.status != 0 && syntax.stderr.contains("expected C or C,Y,X"), "\(syntax.stderr)")
    }

    @Test func backpropWritesAReadablePNG() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("deepvis-cli-\(getpid())").path
        let r = try CLI.run(["backprop", Self.photo("chelsea.jpg"), "--layer", "blocks.10", "--top", "3", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".png") }
        #expect(files.count == 4, "3 images and a contact sheet: \(files)")
    }
}
