import ArgumentParser
import Capture
import Foundation
import Imaging
import NeuralNetwork
import Visualization

struct Atlas: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A unit atlas of one layer: optimized image, top-9 patches and their deconvnet images per unit (see Docs/ATLAS.md).",
        subcommands: [AtlasBuild.self, AtlasMerge.self, AtlasDataPassBench.self],
        defaultSubcommand: AtlasBuild.self)
}

struct AtlasBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Compute the atlas (or this shard's part of it) into --out; finished units are skipped.",
        discussion: """
        The shard comes from --shard i/n (0-based), else SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (minus SLURM_ARRAY_TASK_MIN),
        else JOB_COMPLETION_INDEX with --shards N or DEEPVIS_SHARD_COUNT; units are dealt round-robin. A single-shard run writes
        index.html itself; after sharded runs, `deepvis atlas merge --out DIR` does. For large image folders, split the data pass
        by images first (--top-only, one run per shard), then run the unit shards: they merge the parts instead of searching.
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Layer name (a convolutional layer; see `deepvis inspect`).") var layer: String
    @Option(help: "Units (channels \(OptionRanges.text(OptionRanges.unit))): A-B, or a list like 0-7,12 (default: every channel).")
    var units: String?
    @Option(help: "A folder of JPEG/PNG images to search for top patches.") var images: String?
    @Option(help: "A video file to search instead (frames sampled with --every and --max-frames).") var video: String?
    @Option(help: "Video: use every K-th frame (\(OptionRanges.text(OptionRanges.every))).") var every = 10
    @Option(help: "Video: use at most N frames (\(OptionRanges.text(OptionRanges.maxFrames))).") var maxFrames = 200
    @Option(help: "Output directory (shared by all shards).") var out: String
    @Option(help: "This process's shard, i/n with 0 ≤ i < n ≤ \(OptionRanges.shards.upperBound).") var shard: String?
    @Option(help: "Shard count for JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs; \(OptionRanges.text(OptionRanges.shards))).")
    var shards: Int?
    @Option(help: "Gradient ascent preset (default: the model's, as `live` uses; see `deepvis optimize --list-presets`).")
    var preset: String?
    @Option(help: "Gradient ascent iterations per unit (\(OptionRanges.text(OptionRanges.iterations))).") var iterations = 200
    @Option(help: "Random seed of the optimization.") var seed: UInt64 = 0
    @Option(help: "Top patches per unit (\(OptionRanges.text(OptionRanges.patches))).") var patches = 9
    @Option(help: "Backward image of each patch: deconvnet, guided or gradient (default: deconvnet where the network max-pools, else guided).")
    var backward: BackwardMode?
    @Flag(help: "Only this shard's part of a data pass split by images (writes OUT/top/part-I-of-N.json); a later run uses the parts.")
    var topOnly = false

    func validate() throws {
        guard (images == nil) != (video == nil) else { throw ValidationError("give exactly one of --images DIR and --video FILE") }
        if let units { _ = try parseUnits(units) }
        if let shard { try OptionRanges.check(try Shard(parsing: shard).count, OptionRanges.shards, "--shard count") }
        if let shards { try OptionRanges.check(shards, OptionRanges.shards, "--shards") }
        try OptionRanges.check(iterations, OptionRanges.iterations, "--iterations")
        try OptionRanges.check(patches, OptionRanges.patches, "--patches")
        try OptionRanges.check(every, OptionRanges.every, "--every")
        try OptionRanges.check(maxFrames, OptionRanges.maxFrames, "--max-frames")
    }

    func run() throws {
        let (graph, info, path) = try modelOptions.load()
        let session = Session(graph: graph)
        // The model's default preset, as `live` uses, so `live --atlas` finds these units without extra flags.
        let catalog = try PresetCatalog(for: info)
        let preset = try preset.map(catalog.named) ?? catalog.defaultPreset
        let builder = try AtlasBuilder(session: session, info: info, layer: layer, preset: preset, iterations: iterations)
        builder.seed = seed
        builder.patches = patches
        let patchDefault = BackwardMode.patchDefault(for: graph)
        builder.backward = backward ?? patchDefault.mode
        if backward == nil { print("patch images: \(patchDefault.reason)") }
        builder.log = { line in
            if line.hasPrefix("warning:") { FileHandle.standardError.write(Data("\(line)\n".utf8)) } else { print(line) }
        }
        if let (store, sha) = storeOptions.open(model: path) {
            builder.onOptimized = { [layer, preset, iterations, seed] unit, objective, result in
                let key = UnitImageKey(modelSHA256: sha, layer: layer, unit: unit, objective: objective, preset: preset,
                                       iterations: iterations, seed: seed, inputWidth: info.inputWidth, inputHeight: info.inputHeight)
                do {
                    try store.save(key, preset: preset, best: result.best, seen: result.bestAsSeen, history: result.history,
                                   curve: [], bestObjective: result.bestObjective, bestStep: result.bestStep)
                } catch {
                    warn("could not write the unit-image store: \(error)")
                }
            }
        }
        let list = try units.map(parseUnits) ?? Array(0..<builder.channels)
        let me = try Shard.resolve(option: shard, count: shards, environment: ProcessInfo.processInfo.environment)
        let mine = me.select(list)
        print("atlas \(layer): shard \(me) has \(mine.count) of \(list.count) units, \(modelOptions.threads) thread(s); receptive field "
              + "\(builder.field.rows.size)x\(builder.field.columns.size) px, stride \(builder.field.rows.stride)")
        let model = (path as NSString).lastPathComponent
        if topOnly {
            let wrote = try builder.topPart(units: list, part: me, images: try source(), model: model, directory: out)
            print(wrote ? "wrote \(AtlasTopPart.path(in: out, index: me.index, count: me.count))"
                        : "\(AtlasTopPart.path(in: out, index: me.index, count: me.count)) is already there")
            return
        }
        let summary = try builder.run(units: list, shard: me, images: try source(), model: model, directory: out)
        if !summary.skipped.isEmpty { print("skipped \(summary.skipped.count) finished unit(s)") }
        print("shard \(me): computed \(summary.computed.count) unit(s)")
        if me.count == 1 {
            _ = try AtlasIndex.merge(directory: out)
            print("wrote \(out)/index.html")
        } else {
            print("when every shard has finished: deepvis atlas merge --out \(out)")
        }
    }

    /// The images to search, in a fixed order (every shard must see the same list).
    private func source() throws -> AtlasImages {
        if let images { return try atlasFolder(images) }
        let file = try VideoFile(path: video!, pacing: .asFastAsPossible)
        var used = 0
        return AtlasImages(description: "video \(video!), every \(every)-th frame, at most \(maxFrames)") {
            while used < maxFrames, let frame = try file.next(timeout: 10) {
                guard frame.index % every == 0 else { continue }
                used += 1
                return (String(format: "frame %d (%.2f s)", frame.index, frame.timestamp), frame.image)
            }
            file.close()
            return nil
        }
    }
}

struct AtlasMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the shards' results in --out into index.json and index.html; fails naming any unit without results.")

    @Option(help: "The atlas directory the shards wrote into.") var out: String

    func run() throws {
        let (settings, units) = try AtlasIndex.merge(directory: out)
        print("merged \(units.count) units of \(settings.layer) from \(out); wrote \(out)/index.html")
    }
}

/// The images of a folder in name order; an unreadable one is reported as `.unreadableImage`, which the data pass skips.
func atlasFolder(_ path: String, repeats: Int = 1) throws -> AtlasImages {
    let folder = try ImageFolder(path: path, loop: false)
    folder.close()
    let files = Array(Array(repeating: folder.files, count: repeats).joined())
    return AtlasImages(description: "images \(path)", names: files.map { ($0 as NSString).lastPathComponent }) { index in
        let file = files[index]
        let name = (file as NSString).lastPathComponent
        do {
            // Errors name the file by its name only: the reason goes into unit.json, which must not depend on where the folder is.
            return try ImageCodec.decode(FileBytes.read(path: file), source: name)
        } catch {
            let text = "\(error)"
            throw AtlasError.unreadableImage(name: name, reason: text.hasPrefix("\(name): ") ? String(text.dropFirst(name.count + 2)) : text)
        }
    }
}
