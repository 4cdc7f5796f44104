import Testing
import ViewerCore

/// The unit pane's commands (preset, restart, objective, patch view) and text fitting, without SDL.
@Suite struct UnitPaneStateTests {
    let context = ViewerContext(layers: [LayerInfo(name: "a", channels: 8, height: 4, width: 4)], columns: 4,
                                historyCount: 5, presetCount: 3)

    @Test func presetCyclesAndRestartsChangeTheSeed() {
        var s = ViewerState()
        s.historyPosition = 2
        s.apply(.cyclePreset, in: context)
        #expect(s.presetIndex == 1 && s.historyPosition == nil)
        s.apply(.cyclePreset, in: context)
        s.apply(.cyclePreset, in: context)
        #expect(s.presetIndex == 0)
        s.apply(.restartAscent, in: context)
        s.apply(.restartAscent, in: context)
        #expect(s.ascentSeed == 2)
        s.apply(.toggleUnitObjective, in: context)
        #expect(s.channelMean)
        s.apply(.togglePatchView, in: context)
        #expect(s.patchesShowBackward)
        #expect(KeyTable.standard.command(forKey: "a") == .cyclePreset && KeyTable.standard.command(forKey: "r") == .restartAscent)
        #expect(KeyTable.standard.command(forKey: "m") == .toggleUnitObjective && KeyTable.standard.command(forKey: "v") == .togglePatchView)
    }

    @Test func clickOnThePresetNameIsAHitTarget() {
        let l = ViewerLayout(width: 1280, height: 720, layer: context.layers[0], layerCount: 1, currentLayer: 0)
        #expect(l.hitTest(x: l.presetLabel.center.x, y: l.presetLabel.center.y) == .presetName)
        #expect(l.presetLabel.x >= l.optimizationCaption.maxX && l.presetLabel.y == l.optimizationCaption.y)
    }

    /// Width = number of characters × 10 (a monospaced stand-in for the font's measure).
    func measure(_ s: String) -> Int { s.count * 10 }

    @Test func elisionKeepsTheLongestPrefixThatFitsWithAnEllipsis() {
        #expect(TextFit.elide("paper-3", maxWidth: 70, measure: measure) == "paper-3")
        #expect(TextFit.elide("playing the sample video", maxWidth: 100, measure: measure) == "playing t…")
        #expect(TextFit.elide("abc", maxWidth: 5, measure: measure) == "")
        for width in stride(from: 10, through: 240, by: 10) {
            let fitted = TextFit.elide("gradient ascent · step 84/300", maxWidth: width, measure: measure)
            #expect(measure(fitted) <= width)
        }
    }

    @Test func wrappingBreaksAtSpacesAndElidesTheLastLine() {
        let lines = TextFit.wrap("backward image of blocks.15:3: unit out of range", maxWidth: 200, maxLines: 2, measure: measure)
        #expect(lines == ["backward image of", "blocks.15:3: unit o…"])
        #expect(lines.allSatisfy { measure($0) <= 200 })
    }
}
