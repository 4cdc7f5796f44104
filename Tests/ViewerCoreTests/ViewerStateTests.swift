import Imaging
import Testing
import ViewerCore

struct ViewerStateTests {
    let layers = [
        LayerInfo(name: "a", channels: 10, height: 4, width: 4),
        LayerInfo(name: "b", channels: 3, height: 2, width: 2),
        LayerInfo(name: "c", channels: 64, height: 1, width: 1),
    ]
    func context(columns: Int = 4, history: Int = 0) -> ViewerContext {
        ViewerContext(layers: layers, columns: columns, historyCount: history)
    }

    @Test func arrowsMoveRowMajorAndStopAtTheEdges() {
        var s = ViewerState(layerIndex: 0, selectedUnit: 5)   // 10 channels, 4 columns: row 1, column 1
        s.apply(.moveSelection(.right), in: context()); #expect(s.selectedUnit == 6)
        s.apply(.moveSelection(.down), in: context()); #expect(s.selectedUnit == 6)  // 10 doesn't exist
        s.apply(.moveSelection(.up), in: context()); #expect(s.selectedUnit == 2)
        s.apply(.moveSelection(.up), in: context()); #expect(s.selectedUnit == 2)
        s.apply(.moveSelection(.left), in: context()); #expect(s.selectedUnit == 1)
        s.apply(.moveSelection(.down), in: context()); #expect(s.selectedUnit == 5)
        s.apply(.moveSelection(.down), in: context()); #expect(s.selectedUnit == 9)
        s.apply(.moveSelection(.right), in: context()); #expect(s.selectedUnit == 9)
        s.apply(.selectUnit(0), in: context())
        s.apply(.moveSelection(.left), in: context()); #expect(s.selectedUnit == 0)
    }

    @Test func selectClampsToTheLayer() {
        var s = ViewerState()
        s.apply(.selectUnit(99), in: context()); #expect(s.selectedUnit == 9)
        s.apply(.selectUnit(-3), in: context()); #expect(s.selectedUnit == 0)
    }

    @Test func layersWrapAndSelectionIsClamped() {
        var s = ViewerState(layerIndex: 0, selectedUnit: 7)
        s.apply(.nextLayer, in: context()); #expect(s.layerIndex == 1); #expect(s.selectedUnit == 2)
        s.apply(.nextLayer, in: context()); #expect(s.layerIndex == 2)
        s.apply(.nextLayer, in: context()); #expect(s.layerIndex == 0)
        s.apply(.previousLayer, in: context()); #expect(s.layerIndex == 2)
        s.apply(.selectLayer(1), in: context()); #expect(s.layerIndex == 1)
        s.apply(.selectLayer(5), in: context()); #expect(s.layerIndex == 2)  // wraps like u/o
    }

    @Test func modesCycleThroughEveryValue() {
        var s = ViewerState()
        let modes = (0..<4).map { _ in defer { s.apply(.cycleBackwardMode, in: context()) }; return s.backwardMode }
        #expect(modes == [.gradient, .deconvnet, .guided, .gradient])
        let renderings = (0..<5).map { _ in defer { s.apply(.cycleRendering, in: context()) }; return s.rendering }
        #expect(renderings == [.raw, .gray, .norm, .normblur, .raw])
    }

    @Test func togglesFlipAndQuitSticks() {
        var s = ViewerState()
        for c: ViewerCommand in [.togglePerChannelNormalization, .toggleFreeze, .togglePause, .toggleHelp] {
            s.apply(c, in: context())
        }
        #expect(s.perChannelNormalization && s.frozen && s.paused && s.showHelp)
        s.apply(.togglePause, in: context()); #expect(!s.paused)
        let before = s
        s.apply(.screenshot, in: context()); s.apply(.cycleSource, in: context())
        #expect(s == before)
        s.apply(.quit, in: context()); #expect(s.quitRequested)
    }

    @Test func historySliderClampsStepsAndReturnsToLive() {
        var s = ViewerState()
        s.apply(.setHistoryPosition(12), in: context(history: 5)); #expect(s.historyPosition == 4)
        s.apply(.stepHistory(-2), in: context(history: 5)); #expect(s.historyPosition == 2)
        s.apply(.stepHistory(-9), in: context(history: 5)); #expect(s.historyPosition == 0)
        s.apply(.stepHistory(5), in: context(history: 5)); #expect(s.historyPosition == nil)  // past the end: live
        s.apply(.stepHistory(-1), in: context(history: 5)); #expect(s.historyPosition == 4)  // from live: last
        s.apply(.setHistoryPosition(nil), in: context(history: 5)); #expect(s.historyPosition == nil)
        s.apply(.setHistoryPosition(1), in: context(history: 0)); #expect(s.historyPosition == nil)
    }

    @Test func changingTheUnitResetsTheHistoryPosition() {
        var s = ViewerState()
        s.apply(.setHistoryPosition(2), in: context(history: 5))
        s.apply(.selectUnit(3), in: context(history: 5)); #expect(s.historyPosition == nil)
        s.apply(.setHistoryPosition(2), in: context(history: 5))
        s.apply(.nextLayer, in: context(history: 5)); #expect(s.historyPosition == nil)
    }
}
