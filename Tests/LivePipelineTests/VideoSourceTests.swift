import Capture
import LivePipeline
import Testing
import Imaging
import TestSupport

/// End of stream and broken files through the capture thread, on ffmpeg-made clips.
@Suite(.serialized) struct VideoSourceTests {
    let model = try! TinyLiveModel.make()

    func run(_ source: LiveSource, until condition: (LivePipeline) -> Bool) -> LivePipeline {
        let layers = PipelineLayer.list(graph: model.graph, info: model.info)
        let pipeline = LivePipeline(graph: model.graph, info: model.info, layers: layers, sources: [source],
                                    controls: PipelineControls(selection: UnitSelection(layerIndex: 0, channel: 0)))
        pipeline.start()
        #expect(pipeline.wait(timeout: 20) { condition(pipeline) })
        pipeline.stop()
        return pipeline
    }

    @Test func videoThatEndsStopsWithAMessageAndKeepsTheLastFrame() throws {
        let dir = try ExternalTools.temporaryDirectory()
        let clip = try GeneratedMedia.make(GeneratedMedia.kinds[0], in: dir, size: "64x48", seconds: 0.4)
        let pipeline = run(.video(path: clip, loop: false, pacing: .asFastAsPossible)) { $0.sourceStatus.phase == .ended }
        #expect(pipeline.sourceStatus.message.contains("end of the video"))
        #expect(pipeline.latestSnapshot != nil)
        #expect(pipeline.statistics.capturedFrames == 10)
    }

    @Test func loopingVideoKeepsGoingPastItsEnd() throws {
        let dir = try ExternalTools.temporaryDirectory()
        let clip = try GeneratedMedia.make(GeneratedMedia.kinds[0], in: dir, size: "64x48", seconds: 0.4)
        let pipeline = run(.video(path: clip, loop: true, pacing: .asFastAsPossible)) { $0.statistics.capturedFrames > 25 }
        #expect(pipeline.sourceStatus.phase == .running)
    }

    @Test func brokenVideoIsReportedAndStops() throws {
        let dir = try ExternalTools.temporaryDirectory()
        let clip = try GeneratedMedia.make(GeneratedMedia.kinds[2], in: dir, size: "64x48", seconds: 2)
        let bytes = try FileBytes.read(path: clip)
        let cut = dir + "/cut.avi"
        try FileBytes.write(Array(bytes.prefix(bytes.count / 2)), to: cut)
        let pipeline = run(.video(path: cut, loop: false, pacing: .asFastAsPossible)) { $0.sourceStatus.phase == .ended }
        #expect(pipeline.sourceStatus.message.contains("truncated") || pipeline.sourceStatus.message.contains("end of the video"))
    }
}
