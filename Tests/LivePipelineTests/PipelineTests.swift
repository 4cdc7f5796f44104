import Capture
import Foundation
import Glibc
import Imaging
import LivePipeline
import NeuralNetwork
import Tensors
import Testing
import TestSupport
import Visualization

/// The threads on a tiny seeded network and a fake camera; every result is checked against a plain sequential run.
@Suite(.serialized) struct PipelineTests {
    let model = try! TinyLiveModel.make()
    var layers: [PipelineLayer] { PipelineLayer.list(graph: model.graph, info: model.info) }

    func makePipeline(_ sources: [LiveSource], layer: Int = 1, channel: Int = 0, mode: BackwardMode = .gradient,
                      lossless: Bool = false, probeMaxFPS: Double? = nil) -> LivePipeline {
        var configuration = LivePipeline.Configuration()
        configuration.lossless = lossless
        if let probeMaxFPS { configuration.probeMaxFPS = probeMaxFPS }
        configuration.retryInterval = 0.05
        return LivePipeline(graph: model.graph, info: model.info, layers: layers, sources: sources,
                            controls: PipelineControls(selection: UnitSelection(layerIndex: layer, channel: channel, mode: mode)),
                            configuration: configuration)
    }

    func fakeSource(_ camera: FakeCamera) -> LiveSource {
        LiveSource(name: "camera fake", reconnects: true) { try camera.open() }
    }

    /// The selected layer's output and the logits for `image`, computed on the calling thread.
    func reference(_ image: RGBImage, layer: PipelineLayer) -> (activations: [Float], logits: [Float], session: Session) {
        let session = Session(graph: model.graph)
        model.info.fill(session.input, from: model.info.networkView(of: image))
        session.forward()
        return (session.values[layer.valueID].array, session.values[model.graph.outputs[0]].array, session)
    }

    @Test func layerListHasShapes() {
        #expect(layers.map(\.name) == ["conv", "conv2", "logits"])
        #expect(layers.map(\.channels) == [6, 8, 4])
        #expect(layers[1].height == 8 && layers[2].height == 1)
    }

    @Test func snapshotsCarryTheSelectedLayerAndTopClassesOfTheirFrame() throws {
        let camera = FakeCamera()
        let pipeline = makePipeline([fakeSource(camera)])
        pipeline.start()
        defer { pipeline.stop() }
        #expect(pipeline.wait(timeout: 10) { (pipeline.latestSnapshot?.sequence ?? 0) >= 3 })
        let snapshot = try #require(pipeline.latestSnapshot)
        let expected = reference(FakeCamera.image(snapshot.sourceFrameIndex), layer: layers[1])
        #expect(snapshot.layerIndex == 1)
        #expect(snapshot.activations == expected.activations)
        let top = topK(logits: expected.logits, k: 5)
        #expect(snapshot.top.map(\.index) == top.map(\.index))
        #expect(snapshot.top.first?.label == model.info.label(top[0].index))
        #expect(snapshot.input.width == 16 && snapshot.input.height == 16)
    }

    @Test func probeEqualsASequentialBackwardAndFollowsTheSelection() throws {
        let camera = FakeCamera()
        let pipeline = makePipeline([fakeSource(camera)], layer: 1, channel: 2, mode: .guided)
        pipeline.start()
        defer { pipeline.stop() }
        try checkProbe(pipeline, UnitSelection(layerIndex: 1, channel: 2, mode: .guided))
        let next = UnitSelection(layerIndex: 0, channel: 5, mode: .deconvnet)
        pipeline.update { $0.selection = next }
        try checkProbe(pipeline, next)
        let mean = UnitSelection(layerIndex: 1, channel: 4, mode: .gradient, objective: .channelMean)
        pipeline.update { $0.selection = mean }
        try checkProbe(pipeline, mean)
    }

    private func checkProbe(_ pipeline: LivePipeline, _ selection: UnitSelection) throws {
        #expect(pipeline.wait(timeout: 10) { pipeline.latestProbe?.selection == selection })
        let probe = try #require(pipeline.latestProbe)
        #expect(probe.width == 16 && probe.height == 16)
        // Recompute from the probe's frame on this thread: the concurrent result must be identical.
        let session = Session(graph: model.graph)
        let layer = layers[selection.layerIndex]
        model.info.fill(session.input, from: model.info.networkView(of: FakeCamera.image(probe.sourceFrameIndex)))
        session.forward(upTo: layer.valueID)
        // The probe maximizes what the ascent does: the centre unit, or the channel's mean.
        let seed: Seed = selection.objective == .channelMean
            ? .channel(selection.channel, mean: true)
            : .unit(channel: selection.channel, y: layer.height / 2, x: layer.width / 2)
        let expected = try session.backward(from: layer.valueID, seed: seed, mode: selection.mode)
        #expect(probe.values == expected.array)
    }

    /// Outside lossless mode the forward thread keeps every value only for the frames the probe will read; the others
    /// go through a session that keeps only the shown layer. The probe's results still equal a sequential backward on
    /// their own frames, a frozen frame is probed itself, and nothing keeps every value while nothing is probed.
    @Test func forwardKeepsEveryValueOnlyForFramesTheProbeReads() throws {
        let camera = FakeCamera()   // 100 frames a second
        let selection = UnitSelection(layerIndex: 1, channel: 2, mode: .guided)
        let pipeline = makePipeline([fakeSource(camera)], layer: 1, channel: 2, mode: .guided, probeMaxFPS: 5)
        pipeline.start()
        defer { pipeline.stop() }
        var pause = timespec(tv_sec: 2, tv_nsec: 0)
        nanosleep(&pause, nil)
        let s = pipeline.statistics
        // Each probe reads a kept pass of its own (one selection); a pass is counted when published, which may come
        // just after the probe has started on it.
        #expect(s.probes >= 3 && s.keptPasses + 1 >= s.probes, "\(s.keptPasses) passes kept every value for \(s.probes) probes")
        #expect(s.forwardPasses > 3 * s.keptPasses, "\(s.keptPasses) of \(s.forwardPasses) passes kept every value")
        try checkProbe(pipeline, selection)

        pipeline.update { $0.frozen = true }
        #expect(pipeline.wait(timeout: 10) {
            guard let probe = pipeline.latestProbe, let shown = pipeline.latestSnapshot else { return false }
            return probe.snapshotSequence == shown.sequence && probe.sourceFrameIndex == shown.sourceFrameIndex
        }, "the frozen frame's own backward image")
        try checkProbe(pipeline, selection)

        pipeline.update {
            $0.frozen = false
            $0.probing = false
        }
        #expect(pipeline.wait(timeout: 10) { pipeline.statistics.forwardPasses > s.forwardPasses + 20 })
        let kept = pipeline.statistics.keptPasses, passes = pipeline.statistics.forwardPasses
        #expect(pipeline.wait(timeout: 10) { pipeline.statistics.forwardPasses > passes + 20 })
        #expect(pipeline.statistics.keptPasses == kept, "no probe, yet passes kept every value")
    }

    /// The probe thread starts at most `probeMaxFPS` backward passes a second on a faster source (the fake camera
    /// gives 100 frames a second), but a newly selected unit does not wait for its turn.
    @Test func probeRateIsCappedButANewSelectionGoesFirst() throws {
        let camera = FakeCamera()
        let pipeline = makePipeline([fakeSource(camera)], layer: 1, channel: 0, probeMaxFPS: 4)
        let start = uptimeNanoseconds()
        pipeline.start()
        defer { pipeline.stop() }
        var pause = timespec(tv_sec: 2, tv_nsec: 0)
        nanosleep(&pause, nil)
        let seconds = Double(uptimeNanoseconds() - start) / 1e9, probes = pipeline.statistics.probes
        #expect(probes >= 2 && Double(probes) <= 4 * seconds + 1, "\(probes) probes in \(seconds) s at a cap of 4 a second")
        #expect(camera.delivered.load(ordering: .relaxed) > 3 * probes, "the source must be faster than the cap")

        let slow = makePipeline([fakeSource(FakeCamera())], layer: 1, channel: 0, probeMaxFPS: 0.25)
        slow.start()
        defer { slow.stop() }
        #expect(slow.wait(timeout: 10) { slow.latestProbe != nil })
        let next = UnitSelection(layerIndex: 0, channel: 3, mode: .gradient)
        let clicked = uptimeNanoseconds()
        slow.update { $0.selection = next }
        // The cap alone would hold it back 4 s.
        #expect(slow.wait(timeout: 10) { slow.latestProbe?.selection == next })
        let waited = Double(uptimeNanoseconds() - clicked) / 1e9
        #expect(waited < 2, "the new selection's probe came \(waited) s after the click")
    }

    /// Other viewers (browsers): their layers ride along in every snapshot and their units are probed as well, each
    /// result equal to a sequential forward/backward on the same frame.
    @Test func watchedLayersAndExtraProbesServeOtherViewers() throws {
        let camera = FakeCamera()
        let pipeline = makePipeline([fakeSource(camera)], layer: 1, channel: 0)
        pipeline.start()
        defer { pipeline.stop() }
        #expect(pipeline.wait(timeout: 10) { pipeline.latestSnapshot != nil })
        pipeline.update { $0.frozen = true }
        let extras: Set<UnitSelection> = [UnitSelection(layerIndex: 0, channel: 3, mode: .guided),
                                          UnitSelection(layerIndex: 2, channel: 1, mode: .deconvnet)]
        pipeline.update {
            $0.watchedLayers = [0, 2]
            $0.extraProbes = extras
        }
        #expect(pipeline.wait(timeout: 10) { pipeline.latestSnapshot?.watchedActivations.keys.sorted() == [0, 2] })
        let snapshot = try #require(pipeline.latestSnapshot)
        let image = FakeCamera.image(snapshot.sourceFrameIndex)
        for index in 0..<3 {
            #expect(snapshot.activations(ofLayer: index) == reference(image, layer: layers[index]).activations)
        }
        for selection in extras {
            #expect(pipeline.wait(timeout: 10) { pipeline.latestProbe(for: selection)?.snapshotSequence == snapshot.sequence })
            let probe = try #require(pipeline.latestProbe(for: selection))
            let layer = layers[selection.layerIndex]
            let session = Session(graph: model.graph)
            model.info.fill(session.input, from: model.info.networkView(of: image))
            session.forward(upTo: layer.valueID)
            let expected = try session.backward(from: layer.valueID,
                                                seed: .unit(channel: selection.channel, y: layer.height / 2, x: layer.width / 2),
                                                mode: selection.mode)
            #expect(probe.values == expected.array)
        }
    }

    @Test func frozenFrameIsRecomputedForANewLayerAndNotReplaced() throws {
        let camera = FakeCamera()
        let pipeline = makePipeline([fakeSource(camera)], layer: 1)
        pipeline.start()
        defer { pipeline.stop() }
        #expect(pipeline.wait(timeout: 10) { pipeline.latestSnapshot != nil })
        pipeline.update { $0.frozen = true }
        let before = camera.delivered.load(ordering: .relaxed)
        #expect(eventually { camera.delivered.load(ordering: .relaxed) > before + 10 })
        let held = try #require(pipeline.latestSnapshot)
        pipeline.update { $0.selection.layerIndex = 0 }
        #expect(pipeline.wait(timeout: 10) { pipeline.latestSnapshot?.layerIndex == 0 })
        let switched = try #require(pipeline.latestSnapshot)
        #expect(switched.frameID == held.frameID)
        #expect(switched.activations == reference(FakeCamera.image(switched.sourceFrameIndex), layer: layers[0]).activations)
        pipeline.update { $0.frozen = false }
        #expect(pipeline.wait(timeout: 10) { (pipeline.latestSnapshot?.frameID ?? 0) > held.frameID })
    }

    @Test func unpluggedCameraKeepsTheLastFrameSaysSoAndReconnects() throws {
        let camera = FakeCamera()
        let pipeline = makePipeline([fakeSource(camera)])
        pipeline.start()
        defer { pipeline.stop() }
        #expect(pipeline.wait(timeout: 10) { (pipeline.latestSnapshot?.sequence ?? 0) >= 2 })
        camera.plugged.store(false, ordering: .relaxed)
        #expect(pipeline.wait(timeout: 10) { pipeline.sourceStatus.phase == .reconnecting })
        #expect(pipeline.sourceStatus.message.contains("disconnected"))
        // A failed reopen attempt later, the last snapshot is still there and stays unchanged.
        #expect(pipeline.wait(timeout: 10) { pipeline.sourceStatus.message.contains("no such device") })
        let last = try #require(pipeline.latestSnapshot)
        // Nothing new is published while the camera is away (several retries at 0.05 s pass in this time).
        _ = pipeline.wait(timeout: 0.3) { false }
        #expect(pipeline.latestSnapshot?.sequence == last.sequence)
        camera.plugged.store(true, ordering: .relaxed)
        #expect(pipeline.wait(timeout: 10) { (pipeline.latestSnapshot?.frameID ?? 0) > last.frameID })
        #expect(pipeline.wait(timeout: 10) { pipeline.sourceStatus.phase == .running })
        #expect(camera.opens.load(ordering: .relaxed) == 2)
    }

    @Test func losslessModeProcessesEveryRequestedFrameInOrder() throws {
        let camera = FakeCamera(interval: 0)
        let pipeline = makePipeline([fakeSource(camera)], lossless: true)
        pipeline.start()
        defer { pipeline.stop() }
        var indices: [Int] = []
        for k in 1...5 {
            pipeline.requestFrame()
            #expect(pipeline.wait(timeout: 10) { pipeline.latestSnapshot?.sequence == k })
            indices.append(pipeline.latestSnapshot!.sourceFrameIndex)
        }
        #expect(indices == [0, 1, 2, 3, 4])
        #expect(pipeline.statistics.droppedFrames == 0)
    }

    @Test func cycleSourceSwitchesToTheNextSource() throws {
        let first = FakeCamera(), second = FakeCamera()
        let pipeline = makePipeline([fakeSource(first), LiveSource(name: "second") { try second.open() }])
        pipeline.start()
        defer { pipeline.stop() }
        #expect(pipeline.wait(timeout: 10) { pipeline.latestSnapshot != nil })
        pipeline.cycleSource()
        #expect(eventually { second.delivered.load(ordering: .relaxed) > 2 })
        #expect(pipeline.sourceStatus.source.hasPrefix("second"))
    }

    @Test func ascentFinishesLikeADirectRunAndRestartsOnSelectionChange() throws {
        let camera = FakeCamera()
        let pipeline = makePipeline([fakeSource(camera)], layer: 1, channel: 2)
        let settings = AscentSettings(preset: Preset.named(Preset.defaultName)!, iterations: 12, seed: 5)
        pipeline.update { $0.ascent = settings }
        pipeline.start()
        defer { pipeline.stop() }
        func finished(_ channel: Int) -> AscentSnapshot? {
            guard let a = pipeline.latestAscent, a.selection.channel == channel, a.phase == .finished else { return nil }
            return a
        }
        #expect(pipeline.wait(timeout: 30) { finished(2) != nil })
        let live = try #require(finished(2))
        // The same run on the calling thread, through the library directly.
        let objective = Objective.forUnit(layer: "conv2", channel: 2, channelMean: false, graph: model.graph, info: model.info)
        let evaluator = try ObjectiveEvaluator(objective, session: Session(graph: model.graph), space: PixelSpace(model.info),
                                               info: model.info)
        let direct = try GradientAscent(evaluator: evaluator, preset: settings.preset, iterations: 12, seed: 5).run()
        #expect(live.objectiveName == "conv2:2" && live.step == 12 && live.curve.count == 12 && live.error == nil)
        #expect(live.image?.pixels == direct.best.pixels && live.seen?.pixels == direct.bestAsSeen.pixels)
        #expect(live.history.count == 12 / settings.historyEvery)
        #expect(pipeline.statistics.ascentSecondsToFinish > 0 && pipeline.statistics.ascentStepsPerSecond > 0)

        pipeline.update { $0.selection.channel = 3 }
        #expect(pipeline.wait(timeout: 30) { finished(3) != nil })
        #expect(finished(3)?.objectiveName == "conv2:3")
    }

    @Test func liveAscentRunsAtNice19AndLosslessAtTheForwardThreadsPriority() {
        errno = 0
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        for lossless in [false, true] {
            let pipeline = makePipeline([fakeSource(FakeCamera())], layer: 1, channel: 2, lossless: lossless)
            pipeline.update { $0.ascent = AscentSettings(preset: Preset.named(Preset.defaultName)!, iterations: 100_000) }
            pipeline.start()
            defer { pipeline.stop() }
            #expect(pipeline.wait(timeout: 30) { (pipeline.latestAscent?.step ?? 0) > 2 })
            // New threads inherit the creating thread's nice value; the live ascent sets 19, the lowest priority.
            #expect(pipeline.ascentThreadNiceness == (lossless ? own : 19), "lossless: \(lossless)")
        }
    }

    @Test func liveThreadsCarryTheirNamesIntoTheKernel() throws {
        let pipeline = makePipeline([fakeSource(FakeCamera())])
        pipeline.update { $0.ascent = AscentSettings(preset: Preset.named(Preset.defaultName)!, iterations: 100_000) }
        pipeline.start()
        defer { pipeline.stop() }
        #expect(pipeline.wait(timeout: 30) { (pipeline.latestAscent?.step ?? 0) > 2 && pipeline.latestSnapshot != nil })
        // What `ps -L` and `top -H` show: each thread's /proc comm.
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let names = Set(tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        for name in ["deepvis-capture", "deepvis-forward", "deepvis-probe", "deepvis-ascent", "deepvis-patches"] {
            #expect(names.contains(name), "\(name) not in \(names.sorted())")
        }
    }

    @Test func ascentYieldsOnlyWhileTheForwardPassFallsBehindArrivingFrames() {
        let floor = LivePipeline.Configuration().forwardFloorFraction
        #expect(LivePipeline.forwardIsBehind(captureFPS: 60, forwardFPS: 55, floor: floor))
        #expect(!LivePipeline.forwardIsBehind(captureFPS: 60, forwardFPS: 59.8, floor: floor))
        // Two frames dropped in the 2-s window of a 60 fps source are already behind.
        #expect(LivePipeline.forwardIsBehind(captureFPS: 60, forwardFPS: 59, floor: floor))
        #expect(!LivePipeline.forwardIsBehind(captureFPS: 30, forwardFPS: 30, floor: floor))
        #expect(LivePipeline.forwardIsBehind(captureFPS: 30, forwardFPS: 12, floor: floor))
        // No frames arriving (a still image, a source that ended): nothing to protect.
        #expect(!LivePipeline.forwardIsBehind(captureFPS: 0.5, forwardFPS: 0, floor: floor))
    }

    @Test func ascentErrorIsPublishedNotSwallowed() {
        let pipeline = makePipeline([fakeSource(FakeCamera())], layer: 1, channel: 99)
        pipeline.update { $0.ascent = AscentSettings(preset: Preset.named(Preset.defaultName)!, iterations: 4) }
        pipeline.start()
        defer { pipeline.stop() }
        #expect(pipeline.wait(timeout: 30) { pipeline.latestAscent?.phase == .failed })
        let error = pipeline.latestAscent?.error ?? ""
        #expect(error.contains("conv2:99"), "\(error)")
    }
}

/// Polls `condition` every 10 ms for up to `timeout` seconds, for conditions no pipeline wake-up signals.
func eventually(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = uptimeNanoseconds() + UInt64(timeout * 1e9)
    while !condition() {
        guard uptimeNanoseconds() < deadline else { return false }
        var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
        nanosleep(&pause, nil)
    }
    return true
}
