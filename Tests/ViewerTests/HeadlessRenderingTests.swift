import Imaging
import Testing
import Viewer
import ViewerCore

extension SDLTests {
    /// Renders synthetic frames into SDL's offscreen driver and checks the pixels. SDL state is global: serialized.
    @Suite struct HeadlessRenderingTests {
        let source = DemoFrameSource()

        func makeWindow(width: Int = 1280, height: Int = 720, unit: Int = 0) throws -> ViewerWindow {
            let window = try ViewerWindow(configuration: ViewerConfiguration(output: .headless, width: width, height: height),
                                          state: ViewerState(layerIndex: source.defaultLayer, selectedUnit: unit))
            window.discardPendingEvents()
            return window
        }

        /// Expected gray level of every tile at a probe point vs the pixel drawn there.
        func tileMismatches(_ window: ViewerWindow, _ frame: DisplayFrame) -> [Int] {
            let layer = frame.layers[window.state.layerIndex]
            let values = frame.activations(ofLayer: window.state.layerIndex)!.values
            let mosaic = ActivationMosaic(layer: layer, values: values, perChannel: window.state.perChannelNormalization)
            let grid = window.layout(for: frame).grid
            let shot = window.screenshotImage()
            var bad: [Int] = []
            for c in 0..<layer.channels {
                let tile = grid.rect(of: c)
                // Probe the middle of map pixel (w/2, h/2) so nearest-neighbour rounding cannot pick a neighbour.
                let mx = layer.width / 2, my = layer.height / 2
                let px = tile.x + Int((Double(mx) + 0.5) * Double(tile.width) / Double(layer.width))
                let py = tile.y + Int((Double(my) + 0.5) * Double(tile.height) / Double(layer.height))
                let expected = Int(mosaic.level(channel: c, x: mx, y: my))
                let got = shot[px, py]
                if abs(Int(got.r) - expected) > 1 || got.r != got.g || got.g != got.b { bad.append(c) }
            }
            return bad
        }

        @Test func everyChannelIsDrawnAsATileWithItsActivation() throws {
            let window = try makeWindow()
            let frame = source.frame(at: 1.25, state: window.state)
            window.draw(frame)
            let grid = window.layout(for: frame).grid
            #expect(grid.count == 256)
            #expect(tileMismatches(window, frame).isEmpty)
            // Tiles are distinct: the probed levels are not all one colour.
            let levels = Set((0..<256).map { window.screenshotImage()[grid.rect(of: $0).center.x, grid.rect(of: $0).center.y].r })
            #expect(levels.count > 20)
        }

        @Test func selectedTileIsOutlinedInTheAccentColour() throws {
            let window = try makeWindow(unit: 37)
            let frame = source.frame(at: 0.5, state: window.state)
            window.draw(frame)
            let grid = window.layout(for: frame).grid
            let shot = window.screenshotImage()
            let accent = (Theme.accent.r, Theme.accent.g, Theme.accent.b)
            func isAccent(_ p: (r: UInt8, g: UInt8, b: UInt8)) -> Bool { p == accent }
            let selected = grid.rect(of: 37)
            #expect(isAccent(shot[selected.x - 1, selected.center.y]))
            #expect(isAccent(shot[selected.center.x, selected.maxY]))
            let other = grid.rect(of: 38)
            #expect(!isAccent(shot[other.maxX, other.center.y + 1]) || other.maxX == selected.x - 1)
        }

        @Test func clickOnATileSelectsIt() throws {
            let window = try makeWindow()
            let frame = source.frame(at: 0, state: window.state)
            window.draw(frame)
            let target = window.layout(for: frame).grid.rect(of: 123).center
            window.injectClick(x: target.x, y: target.y)
            let commands = window.handleEvents()
            #expect(commands == [.selectUnit(123)])
            #expect(window.state.selectedUnit == 123)
            window.draw(source.frame(at: 0.1, state: window.state))
            let rect = window.layout(for: frame).grid.rect(of: 123)
            #expect(window.screenshotImage()[rect.x - 1, rect.center.y] == (Theme.accent.r, Theme.accent.g, Theme.accent.b))
        }

        @Test func keyOSwitchesToTheNextLayerAndItsTiles() throws {
            let window = try makeWindow()
            window.draw(source.frame(at: 0, state: window.state))
            window.injectKey("o")
            #expect(window.handleEvents() == [.nextLayer])
            #expect(window.state.layerIndex == source.defaultLayer + 1)
            let frame = source.frame(at: 0.2, state: window.state)
            window.draw(frame)
            #expect(window.layout(for: frame).grid.count == 1280)
            #expect(tileMismatches(window, frame).isEmpty)
        }

        @Test func clickOnTheLayerListSwitchesLayer() throws {
            let window = try makeWindow()
            let frame = source.frame(at: 0, state: window.state)
            window.draw(frame)
            let row = try #require(window.layout(for: frame).layerList.first { $0.layer == 1 })
            window.injectClick(x: row.rect.center.x, y: row.rect.center.y)
            #expect(window.handleEvents() == [.selectLayer(1)])
            #expect(window.state.layerIndex == 1)
        }

        @Test func layoutReflowsOnResize() throws {
            let window = try makeWindow()
            window.draw(source.frame(at: 0, state: window.state))
            let wide = window.layout(for: window.lastFrame).grid
            try window.resize(width: 800, height: 600)
            let frame = source.frame(at: 0.3, state: window.state)
            window.draw(frame)
            #expect(window.size == (800, 600))
            let small = window.layout(for: frame).grid
            #expect(small.tileWidth < wide.tileWidth)
            #expect(tileMismatches(window, frame).isEmpty)
        }

        @Test func perChannelNormalizationStillMatchesTheActivations() throws {
            let window = try makeWindow()
            window.injectKey("e")
            _ = window.handleEvents()
            #expect(window.state.perChannelNormalization)
            let frame = source.frame(at: 2, state: window.state)
            window.draw(frame)
            #expect(tileMismatches(window, frame).isEmpty)
        }

        @Test func pausedWindowKeepsTheLastFrame() throws {
            let window = try makeWindow()
            window.draw(source.frame(at: 0, state: window.state))
            let before = window.screenshotImage()
            window.apply(.togglePause)
            window.draw(source.frame(at: 3, state: window.state))
            let after = window.screenshotImage()
            let layout = window.layout(for: window.lastFrame)
            let input = layout.input
            #expect(before[input.center.x, input.center.y] == after[input.center.x, input.center.y])
            #expect(window.lastFrame?.sequence == 1)
        }
    }
}
