import ArgumentParser
import Foundation
import Imaging
import NeuralNetwork
import Visualization

/// Times the atlas's data pass alone (decode + resize + forward to the layer + top-k update per image).
struct AtlasDataPassBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data-pass",
        abstract: "Time the top-k data pass over an image folder; prints one JSON line (images/s and images per CPU-second).",
        discussion: "The same pass `deepvis atlas` runs before its optimizations; nothing is written. See BENCHMARKS.md.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Layer name (a convolutional layer).") var layer: String
    @Option(help: "Units (default: every channel).") var units: String?
    @Option(help: "A folder of JPEG/PNG images.") var images: String
    @Option(help: "Pass over the folder this many times (to time small folders).") var repeats = 1
    @Option(help: "Images decoded ahead on the decoder thread; 0 decodes on the compute thread (no overlap).") var decodeAhead = 4
    @Option(help: "Top patches per unit.") var patches = 9

    func validate() throws {
        if let units { _ = try parseUnits(units) }
        guard repeats >= 1, patches >= 1, (0...64).contains(decodeAhead) else {
            throw ValidationError("--repeats and --patches must be at least 1, --decode-ahead 0…64")
        }
    }

    func run() throws {
        let (graph, info, _) = try modelOptions.load()
        let builder = try AtlasBuilder(session: Session(graph: graph), info: info, layer: layer, preset: Preset.named("paper-3")!)
        builder.patches = patches
        builder.decodeAhead = decodeAhead
        builder.log = { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
        let list = try units.map(parseUnits) ?? Array(0..<builder.channels)
        // One untimed image first: first-touch allocations and thread start-up are not the steady state.
        _ = try builder.dataPass(units: list, images: .list([(name: "warm-up", image: try atlasFirstImage(images))], description: "warm-up"))
        let cpu0 = cpuSeconds(), t0 = Date()
        let pass = try builder.dataPass(units: list, images: try atlasFolder(images, repeats: repeats))
        let wall = Date().timeIntervalSince(t0), cpu = cpuSeconds() - cpu0
        let n = Double(pass.names.count)
        print(String(format: "{\"layer\":\"%@\",\"units\":%d,\"images\":%d,\"skipped\":%d,\"threads\":%d,\"decode_ahead\":%d,"
                     + "\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"images_per_s\":%.2f,\"images_per_cpu_s\":%.2f}",
                     layer, list.count, pass.names.count, pass.skipped.count, modelOptions.threads, decodeAhead,
                     wall, cpu, n / wall, n / cpu))
    }
}

/// The first image of a folder.
private func atlasFirstImage(_ path: String) throws -> RGBImage {
    let folder = try atlasFolder(path)
    guard let (_, image) = try folder.next() else { throw ValidationError("\(path): no images") }
    return image
}

/// User plus system CPU time of this process, all threads.
private func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let t = { (v: timeval) in Double(v.tv_sec) + Double(v.tv_usec) / 1e6 }
    return t(usage.ru_utime) + t(usage.ru_stime)
}
