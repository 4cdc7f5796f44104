import Capture
import Foundation
import Imaging
import LivePipeline
import NeuralNetwork
import Viewer
import ViewerCore
import Visualization

/// One `deepvis live` run with a model: sources → pipeline → window (or headless files) → statistics.
struct LiveRunner {
    let options: Live
    let mode: LiveOutput
    let pipeline: LivePipeline
    let keys: [ScheduledKey]
    let initialState: ViewerState
    let graph: Graph
    let info: ModelInfo
    /// The presets the window cycles through: the model's catalog.
    let presets: [Preset]

    init(options: Live, mode: LiveOutput, model: (graph: Graph, info: ModelInfo, path: String), keys: [ScheduledKey]) throws {
        let (graph, info) = (model.graph, model.info)
        self.options = options
        self.mode = mode
        self.keys = keys
        self.graph = graph
        self.info = info
        let lossless = mode.headless && !options.realtime
        let choice = try LiveSourceChoice.resolve(options.sources, pacing: lossless ? .asFastAsPossible : .realTime)
        let layers = Self.layers(graph: graph, info: info, including: options.select.flatMap(Live.parseSelect)?.layer ?? options.layer)
        let (layerIndex, unit) = try Self.initialSelection(options, info: info, layers: layers)
        var state = ViewerState(layerIndex: layerIndex, selectedUnit: unit)
        presets = try PresetCatalog(for: info).presets
        let ascent = try options.ascentSettings(for: info)
        if let ascent { state.presetIndex = LiveViewer.presetIndex(of: ascent.preset, in: presets) }
        initialState = state
        var configuration = LivePipeline.Configuration()
        configuration.lossless = lossless
        configuration.computeThreads = options.modelOptions.threadCount ?? 1
        var notes: [String] = []
        configuration.unitImages = Self.unitImages(options, model: model, layers: layers, notes: &notes)
        var controls = PipelineControls(selection: UnitSelection(layerIndex: layerIndex, channel: unit))
        controls.ascent = ascent
        pipeline = LivePipeline(graph: graph, info: info, layers: layers, sources: choice.sources, controls: controls,
                                configuration: configuration)
        for note in notes {
            warn(note)
            pipeline.note(note)
        }
    }

    /// The store (unless --no-cache) and --atlas; a path that cannot be used becomes a note and the viewer runs without it.
    static func unitImages(_ options: Live, model: (graph: Graph, info: ModelInfo, path: String), layers: [PipelineLayer],
                           notes: inout [String]) -> UnitImageLookup? {
        var store: UnitImageStore?
        if !options.storeOptions.noCache {
            do {
                store = try UnitImageStore(root: options.storeOptions.cache ?? UnitImageStore.defaultRoot(),
                                           maxMegabytes: options.storeOptions.cacheMaxMb)
            } catch {
                notes.append("\(error); running without the unit-image store")
            }
        }
        var atlas: AtlasReader?
        if let dir = options.atlas {
            let channels = Dictionary(layers.map { ($0.name, $0.channels) }, uniquingKeysWith: { a, _ in a })
            do {
                atlas = try AtlasReader(directory: dir, modelFile: (model.path as NSString).lastPathComponent, channels: channels)
            } catch {
                notes.append("\(error); running without it")
            }
        }
        guard store != nil || atlas != nil else { return nil }
        var sha = ""
        if store != nil {
            do {
                sha = try ModelDigest.sha256(ofFile: model.path)
            } catch {
                notes.append("\(error); running without the unit-image store")
                store = nil
            }
        }
        return UnitImageLookup(store: store, modelSHA256: sha, atlas: atlas)
    }

    /// The manifest's layers, plus `extra` in network order if it names another value (e.g. `blocks.3.expand`).
    static func layers(graph: Graph, info: ModelInfo, including extra: String?) -> [PipelineLayer] {
        var layers = PipelineLayer.list(graph: graph, info: info)
        guard let extra, !layers.contains(where: { $0.name == extra }), let id = try? info.layerID(extra, in: graph) else {
            return layers
        }
        var single = info
        single.layers = [extra]
        guard let layer = PipelineLayer.list(graph: graph, info: single).first else { return layers }
        layers.insert(layer, at: layers.firstIndex { $0.valueID > id } ?? layers.count)
        return layers
    }

    /// The layer index and unit from --select, --layer or the manifest's default layer.
    static func initialSelection(_ options: Live, info: ModelInfo, layers: [PipelineLayer]) throws -> (Int, Int) {
        let selected = options.select.flatMap(Live.parseSelect)
        let fallback = layers.last { $0.height * $0.width > 1 }?.name ?? layers.first?.name ?? ""
        let name = selected?.layer ?? options.layer ?? info.defaultLayer ?? fallback
        guard let index = layers.firstIndex(where: { $0.name == name }) else {
            throw LiveError("unknown layer '\(name)'; layers: \(layers.map(\.name).joined(separator: " "))")
        }
        let unit = selected?.unit ?? 0
        guard unit < layers[index].channels else {
            throw LiveError("--select: \(name) has \(layers[index].channels) channels (0…\(layers[index].channels - 1)), not \(unit)")
        }
        return (index, unit)
    }

    func run() throws {
        let (w, h) = options.parsedSize!
        var configuration = ViewerConfiguration(output: mode.headless ? .headless : .window, width: w, height: h)
        configuration.pacesHeadless = options.realtime
        if let out = mode.out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            configuration.screenshotDirectory = out
        }
        let window: ViewerWindow
        do {
            window = try ViewerWindow(configuration: configuration, state: initialState)
        } catch {
            fail(error.description)
        }
        let viewer = LiveViewer(pipeline: pipeline, window: window, presets: presets)
        viewer.firstFrameTimeout = options.firstFrameTimeout
        pipeline.start()
        // status: the source message the window showed in that file ("camera disconnected — …"), empty if none;
        // ascent_step: the gradient-ascent step shown (-1: none); ascent_rect: where its image is drawn, "x,y,w,h".
        var log = "file\tsource_frame\tsnapshot\tlayer\tunit\tstatus\tascent_step\tascent_rect\n"
        var saveError: String?
        // RSS once warmed up, so --stats-json shows growth over the rest of the run: a quarter into it and after the
        // selected unit's first ascent ended (its history, store write and the prefetcher's start are one-time costs),
        // at the latest three quarters in.
        var warmRSS: Double?
        let warmIteration = (mode.frames ?? 240) / 4
        viewer.run(keys: keys, maxFrames: mode.frames) { iteration in
            let settled = pipeline.controls.ascent == nil || pipeline.latestAscent.map { $0.phase != .running } == true
            if warmRSS == nil, iteration >= warmIteration, settled || iteration >= 3 * warmIteration {
                warmRSS = residentMegabytes()
            }
            guard mode.headless, !options.realtime || mode.out != nil, let out = mode.out, saveError == nil else { return }
            let name = "frame-" + String(format: "%04d", iteration) + ".png"
            do {
                try window.saveScreenshot(to: out + "/" + name)
            } catch {
                saveError = "\(error)"
            }
            let s = viewer.shownSnapshot
            log += "\(name)\t\(s?.sourceFrameIndex ?? -1)\t\(s?.sequence ?? -1)\t"
                + "\(pipeline.layers[window.state.layerIndex].name)\t\(window.state.selectedUnit)\t"
                + (window.lastFrame?.status ?? "").replacingOccurrences(of: "\t", with: " ")
            let shown = window.lastFrame?.unit.flatMap {
                $0.layerIndex == window.state.layerIndex && $0.channel == window.state.selectedUnit ? $0.optimization : nil
            }
            let r = window.layout(for: window.lastFrame).optimization
            log += "\t\(shown?.step ?? -1)\t\(r.x),\(r.y),\(r.width),\(r.height)\n"
        }
        // Read before stopping: stopping cancels a running ascent, whose rate the statistics then no longer show.
        let statistics = pipeline.statistics
        pipeline.stopAndJoin()
        if let failure = viewer.startFailure { fail(failure) }
        if let saveError { fail(saveError) }
        if let out = mode.out, mode.headless {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try Data(log.utf8).write(to: URL(fileURLWithPath: out + "/frames.tsv"))
        }
        report(viewer, statistics, warmRSS: warmRSS)
    }

    /// Prints the statistics (and writes --stats-json); tells a user without a display what happened instead.
    private func report(_ viewer: LiveViewer, _ s: LiveStatistics, warmRSS: Double?) {
        let seconds = max(viewer.elapsedSeconds, 1e-9)
        let stats: [String: Double] = [
            "seconds": seconds, "display_fps": Double(viewer.framesDrawn) / seconds,
            "loop_fps": Double(viewer.iterations) / seconds,
            "capture_fps": Double(s.capturedFrames) / seconds, "forward_fps": Double(s.forwardPasses) / seconds,
            "probe_fps": Double(s.probes) / seconds, "dropped_frames": Double(s.droppedFrames),
            "captured_frames": Double(s.capturedFrames), "forward_ms": s.forwardMilliseconds,
            "forward_kept_passes": Double(s.keptPasses), "forward_passes": Double(s.forwardPasses),
            "latency_p50_ms": s.displayLatencyP50, "latency_p90_ms": s.displayLatencyP90,
            "rss_mb": residentMegabytes(), "rss_warm_mb": warmRSS ?? 0,
            "ascent_steps_per_s": s.ascentStepsPerSecond, "ascent_seconds_to_finish": s.ascentSecondsToFinish,
            "top_patches_filled": Double(s.topPatchesFilled), "prefetched_units": Double(s.prefetchedUnits),
            "unit_image_load_ms": s.unitImageLoadSeconds * 1000,
        ]
        func f(_ key: String, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", stats[key]!) }
        print("live: \(f("seconds")) s · capture \(f("capture_fps")) fps · forward \(f("forward_fps")) fps (\(f("forward_ms")) ms)"
              + " · probe \(f("probe_fps")) fps · display \(f("display_fps")) fps (loop \(f("loop_fps"))) · dropped "
              + "\(s.droppedFrames) · latency p50 \(f("latency_p50_ms", 0)) ms p90 \(f("latency_p90_ms", 0)) ms · RSS \(f("rss_mb", 0)) MB")
        var json: [String: Any] = stats
        json["unit_image_source"] = Dictionary(uniqueKeysWithValues: UnitImageSource.allCases.map {
            ($0.rawValue, s.unitImageSources[$0] ?? 0)
        })
        if let path = options.statsJson,
           let data = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted]) {
            try? data.write(to: URL(fileURLWithPath: path))
        }
        if mode.fallback {
            print("no display: rendered \(viewer.iterations) frames to \(mode.out!)/; use --headless --frames N --out DIR")
        }
    }
}
