import Foundation
import Imaging
import LivePipeline
import NeuralNetwork
import Testing
import TestSupport
import Viewer
import ViewerCore

/// Crops `rect` out of a screenshot.
func crop(_ image: RGBImage, _ rect: Rect) -> [UInt8] {
    var out: [UInt8] = []
    for y in rect.y..<rect.maxY { out += image.pixels[((y * image.width + rect.x) * 3)..<((y * image.width + rect.maxX) * 3)] }
    return out
}

/// Pixel (x, y) of a screenshot as a tuple.
func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
    let p = image[x, y]
    return (p.r, p.g, p.b)
}

extension SDLTests {
    /// The live viewer in-process: tiny network, fake camera, the real window code drawing headless (or on X).
    @Suite struct LiveViewerTests {
        let model = try! TinyLiveModel.make()

        func makeViewer(output: ViewerOutput = .headless, lossless: Bool = false, layer: Int = 1)
            throws -> (LiveViewer, FakeCamera) {
            let camera = FakeCamera(interval: 0.02)
            let layers = PipelineLayer.list(graph: model.graph, info: model.info)
            var configuration = LivePipeline.Configuration()
            configuration.lossless = lossless
            let pipeline = LivePipeline(graph: model.graph, info: model.info, layers: layers,
                                        sources: [LiveSource(name: "camera fake", reconnects: true) { try camera.open() }],
                                        controls: PipelineControls(selection: UnitSelection(layerIndex: layer, channel: 0)),
                                        configuration: configuration)
            var viewerConfiguration = ViewerConfiguration(output: output, width: 1024, height: 640)
            viewerConfiguration.pacesHeadless = true
            let window = try ViewerWindow(configuration: viewerConfiguration, state: ViewerState(layerIndex: layer))
            window.discardPendingEvents()
            return (LiveViewer(pipeline: pipeline, window: window), camera)
        }

        @Test func tilesMatchTheChannelsAndClicksSelectUnits() throws {
            let (viewer, _) = try makeViewer(lossless: true)
            let window = viewer.window
            viewer.pipeline.start()
            defer { viewer.pipeline.stop() }
            viewer.run(maxFrames: 2)
            let frame = try #require(window.lastFrame)
            let grid = window.layout(for: frame).grid
            #expect(grid.count == 8 && frame.layers[1].channels == 8)
            let backwardRect = window.layout(for: frame).backward
            let before = crop(window.screenshotImage(), backwardRect)
            let target = grid.rect(of: 5)
            window.injectClick(x: target.center.x, y: target.center.y)
            viewer.run(maxFrames: 2)
            #expect(window.state.selectedUnit == 5)
            #expect(viewer.pipeline.controls.selection.channel == 5)
            let shot = window.screenshotImage()
            #expect(pixel(shot, target.x - 1, target.center.y) == (Theme.accent.r, Theme.accent.g, Theme.accent.b))
            #expect(crop(shot, backwardRect) != before, "the unit pane shows unit 5's backward image now")
            #expect(window.lastFrame?.unit?.backward != nil)
        }

        @Test func keysUAndOChangeTheLayerShown() throws {
            let (viewer, _) = try makeViewer(lossless: true)
            let window = viewer.window
            viewer.pipeline.start()
            defer { viewer.pipeline.stop() }
            viewer.run(keys: try KeySequence.parse("1:o"), maxFrames: 2)
            #expect(window.state.layerIndex == 2)
            #expect(window.layout(for: window.lastFrame).grid.count == 4)
            #expect(window.lastFrame?.activations(ofLayer: 2) != nil)
            viewer.run(keys: try KeySequence.parse("0:u,0:u"), maxFrames: 1)
            #expect(window.state.layerIndex == 0)
            #expect(window.layout(for: window.lastFrame).grid.count == 6)
            #expect(viewer.shownSnapshot?.layerIndex == 0)
        }

        @Test func freezeKeepsTheInputPaneStill() throws {
            let (viewer, _) = try makeViewer()
            let window = viewer.window
            viewer.pipeline.start()
            defer { viewer.pipeline.stop() }
            var inputs: [[UInt8]] = []
            viewer.run(keys: try KeySequence.parse("20:f"), maxFrames: 60) { _ in
                inputs.append(crop(window.screenshotImage(), window.layout(for: window.lastFrame).input))
            }
            #expect(window.state.frozen && viewer.pipeline.controls.frozen)
            #expect(Set(inputs[0..<20]).count > 2, "the camera moves before freezing")
            // A snapshot in flight at the key press may still land; from a few frames later on, nothing changes.
            #expect(Set(inputs[30...]).count == 1)
        }

        /// The same checks on a real X window (the test command runs the suite under xvfb-run).
        @Test func realWindowShowsTheLiveLayerAndTakesClicks() throws {
            try Fixtures.requireDisplay()
            let (viewer, _) = try makeViewer(output: .window, lossless: true, layer: 0)
            let window = viewer.window
            viewer.pipeline.start()
            defer { viewer.pipeline.stop() }
            viewer.run(maxFrames: 2)
            let grid = window.layout(for: window.lastFrame).grid
            #expect(grid.count == 6)
            window.injectClick(x: grid.rect(of: 4).center.x, y: grid.rect(of: 4).center.y)
            viewer.run(keys: try KeySequence.parse("1:o"), maxFrames: 3)
            #expect(window.state.layerIndex == 1 && window.state.selectedUnit == 4)
            #expect(window.layout(for: window.lastFrame).grid.count == 8)
        }
    }
}
