import Imaging
import Testing
import ViewerCore

struct ActivationMosaicTests {
    let layer = LayerInfo(name: "l", channels: 3, height: 1, width: 2)

    @Test func perLayerUsesOneRangeForAllChannels() {
        let m = ActivationMosaic(layer: layer, values: [0, 1, 2, 4, 0, 0], perChannel: false)
        #expect(m.level(channel: 0, x: 0, y: 0) == 0)
        #expect(m.level(channel: 0, x: 1, y: 0) == 64)
        #expect(m.level(channel: 1, x: 1, y: 0) == 255)
        #expect(m.level(channel: 2, x: 0, y: 0) == 0)
        #expect(m.channelMax == [1, 4, 0])
    }

    @Test func perChannelStretchesEachAndLeavesFlatChannelsBlack() {
        let m = ActivationMosaic(layer: layer, values: [0, 1, 2, 4, 3, 3], perChannel: true)
        #expect(m.level(channel: 0, x: 1, y: 0) == 255)
        #expect(m.level(channel: 1, x: 0, y: 0) == 0 && m.level(channel: 1, x: 1, y: 0) == 255)
        #expect(m.level(channel: 2, x: 0, y: 0) == 0)
    }

    @Test func pipelineRangeClamps() {
        let m = ActivationMosaic(layer: layer, values: [-1, 1, 2, 4, 0, 0], perChannel: false, range: 0...2)
        #expect(m.level(channel: 0, x: 0, y: 0) == 0)
        #expect(m.level(channel: 0, x: 1, y: 0) == 128)
        #expect(m.level(channel: 1, x: 1, y: 0) == 255)
    }

    @Test func atlasIsNearSquareAndHoldsEveryChannel() {
        let big = LayerInfo(name: "head", channels: 1280, height: 7, width: 7)
        let values = (0..<(1280 * 49)).map { Float($0 % 49) + Float($0 / 49) }
        let m = ActivationMosaic(layer: big, values: values, perChannel: true)
        #expect(m.atlasColumns == 36 && m.atlasRows == 36)
        #expect(m.gray.count == m.atlasWidth * m.atlasHeight)
        for c in [0, 35, 36, 1279] {
            #expect(m.level(channel: c, x: 0, y: 0) == 0 && m.level(channel: c, x: 6, y: 6) == 255)
        }
    }
}

struct NumberTextTests {
    @Test func fixedAndShort() {
        #expect(NumberText.fixed(3.14159, 2) == "3.14")
        #expect(NumberText.fixed(-0.05, 1) == "-0.1")
        #expect(NumberText.fixed(-0.04, 1) == "0.0")
        #expect(NumberText.fixed(7, 0) == "7")
        #expect(NumberText.fixed(2.005, 3) == "2.005")
        #expect(NumberText.short(1234.5) == "1235")
        #expect(NumberText.short(12.34) == "12.3")
        #expect(NumberText.short(0.01234) == "0.012")
        #expect(NumberText.short(0) == "0")
    }
}

struct DemoFrameSourceTests {
    @Test func framesFollowTheViewerState() {
        let source = DemoFrameSource()
        let state = ViewerState(layerIndex: 4, selectedUnit: 9)
        let frame = source.frame(at: 1, state: state)
        let layer = frame.layers[4]
        #expect(frame.activations(ofLayer: 4)?.values.count == layer.channels * layer.height * layer.width)
        #expect(frame.unit?.channel == 9 && frame.unit?.layerIndex == 4)
        #expect(frame.labels.count == 5)
        #expect(frame.labels.map(\.probability) == frame.labels.map(\.probability).sorted(by: >))
        #expect(source.frame(at: 1, state: state).sequence == frame.sequence + 1)
    }
}
