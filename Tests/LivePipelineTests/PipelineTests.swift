import Capture
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
                      lossless: Bool = false) -> LivePipeline {
        var configuration = LivePipeline.Configuration()
        configuration.lossless = lossless
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
        #expect(snapshot.input.width == 16 && snapshot.inputValues.count == 3 * 16 * 16)
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
    }

    private func checkProbe(_ pipeline: LivePipeline, _ selection: UnitSelection) throws {
        // The probe may finish just as a newer snapshot replaces the one it used; then wait for the next probe.
        for _ in 0..<20 {
            #expect(pipeline.wait(timeout: 10) { pipeline.latestProbe?.selection == selection })
            let probe = try #require(pipeline.latestProbe)
            guard let frameIndex = sourceFrameIndex(of: probe.snapshotSequence, pipeline) else {
                _ = pipeline.wait(timeout: 2) { pipeline.latestProbe?.snapshotSequence != probe.snapshotSequence }
                continue
            }
            #expect(probe.width == 16 && probe.height == 16)
            // Recompute from the snapshot's frame on this thread: the concurrent result must be identical.
            let session = Session(graph: model.graph)
            let layer = layers[selection.layerIndex]
            model.info.fill(session.input, from: model.info.networkView(of: FakeCamera.image(frameIndex)))
            session.forward(upTo: layer.valueID)
            let expected = try session.backward(from: layer.valueID, seed: .channelActivations(selection.channel), mode: selection.mode)
            #expect(probe.values == expected.array)
            return
        }
        Issue.record("no probe result matched the newest snapshot in 20 tries")
    }

    /// The source frame of snapshot `sequence` (freezes the pipeline so it stays the newest).
    private func sourceFrameIndex(of sequence: Int, _ pipeline: LivePipeline) -> Int? {
        pipeline.update { $0.paused = true }
        defer { pipeline.update { $0.paused = false } }
        guard let s = pipeline.latestSnapshot, s.sequence == sequence else {
            return nil   // a newer snapshot arrived; the probe is for an older one
        }
        return s.sourceFrameIndex
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

    @Test func unitWorkerRestartsOnSelectionChange() throws {
        let camera = FakeCamera()
        let pipeline = makePipeline([fakeSource(camera)], layer: 1, channel: 0)
        let results: LatestValue<UnitWork<Int>> = pipeline.addUnitWorker(name: "test-worker") { selection, isCancelled, publish in
            var step = 0
            while !isCancelled() && step < 100_000 {
                step += 1
                if step % 100 == 0 { publish(selection.channel * 1_000_000 + step) }
            }
        }
        pipeline.start()
        defer { pipeline.stop() }
        #expect(pipeline.wait(timeout: 10) { results.value?.selection.channel == 0 })
        pipeline.update { $0.selection.channel = 3 }
        #expect(pipeline.wait(timeout: 10) { results.value?.selection.channel == 3 })
        #expect((results.value?.progress ?? 0) / 1_000_000 == 3)
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
