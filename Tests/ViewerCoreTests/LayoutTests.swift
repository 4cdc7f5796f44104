import Testing
import ViewerCore

struct TileGridTests {
    @Test func squareMapsInASquarePaneGiveASquareGrid() {
        let grid = TileGrid(count: 256, mapWidth: 13, mapHeight: 13, in: Rect(x: 0, y: 0, width: 600, height: 600))
        #expect(grid.columns == 16 && grid.rows == 16)
        #expect(grid.tileWidth == grid.tileHeight)
        #expect(grid.tileWidth >= 34)
    }

    @Test func columnsFollowThePaneAspect() {
        let wide = TileGrid(count: 256, mapWidth: 13, mapHeight: 13, in: Rect(x: 0, y: 0, width: 1200, height: 300))
        #expect(wide.columns == 32 || wide.columns == 33)   // √(256·4) = 32
        let tall = TileGrid(count: 96, mapWidth: 8, mapHeight: 8, in: Rect(x: 0, y: 0, width: 300, height: 1200))
        #expect(tall.columns <= 6)
    }

    @Test func tilesFitInsideThePaneAndDoNotOverlap() {
        for count in [1, 3, 32, 40, 112, 256, 1280] {
            let pane = Rect(x: 17, y: 9, width: 613, height: 441)
            let grid = TileGrid(count: count, mapWidth: 7, mapHeight: 5, in: pane)
            let first = grid.rect(of: 0), last = grid.rect(of: count - 1)
            #expect(first.x >= pane.x && first.y >= pane.y)
            #expect(last.maxY <= pane.maxY)
            #expect(grid.rect(of: grid.columns - 1 < count ? min(grid.columns, count) - 1 : 0).maxX <= pane.maxX)
            #expect(grid.gap == 1 || grid.gap == 2)
            if count > 1 { #expect(grid.rect(of: 1).x >= first.maxX + 1 || grid.columns == 1) }
            #expect(grid.rows * grid.columns >= count && (grid.rows - 1) * grid.columns < count)
        }
    }

    @Test func hitTestingFindsTilesAndMissesGaps() {
        let grid = TileGrid(count: 10, mapWidth: 10, mapHeight: 10, in: Rect(x: 0, y: 0, width: 400, height: 200))
        for i in 0..<10 {
            let c = grid.rect(of: i).center
            #expect(grid.index(atX: c.x, y: c.y) == i)
        }
        let r = grid.rect(of: 0)
        #expect(grid.index(atX: r.maxX, y: r.y) == nil)       // the gap
        #expect(grid.index(atX: r.x - 1, y: r.y) == nil)      // left of the grid
        if grid.rows * grid.columns > 10 {
            let missing = grid.rect(of: 10).center           // past the last tile
            #expect(grid.index(atX: missing.x, y: missing.y) == nil)
        }
    }

    @Test func emptyPaneOrNoChannelsGivesNoTiles() {
        let grid = TileGrid(count: 0, mapWidth: 3, mapHeight: 3, in: Rect(x: 0, y: 0, width: 100, height: 100))
        #expect(grid.index(atX: 50, y: 50) == nil)
        let tiny = TileGrid(count: 5, mapWidth: 3, mapHeight: 3, in: .zero)
        #expect(tiny.index(atX: 0, y: 0) == nil)
    }
}

struct ViewerLayoutTests {
    let layer = LayerInfo(name: "conv5", channels: 256, height: 13, width: 13)

    func rects(_ l: ViewerLayout) -> [Rect] {
        [l.inputTitle, l.input, l.layerListTitle, l.layerTitle, l.layerPane, l.unitTitle, l.zoom, l.backward,
         l.optimizationCaption, l.presetLabel, l.optimization, l.slider, l.optimizationStatus, l.patchesCaption, l.status]
            + l.labels + l.layerList.map(\.rect) + l.patches
    }

    @Test(arguments: [(1280, 720), (800, 600), (1920, 1080), (640, 480)])
    func panesStayInsideTheWindowAndApart(width: Int, height: Int) {
        let l = ViewerLayout(width: width, height: height, layer: layer, layerCount: 5, currentLayer: 3)
        for r in rects(l) where !r.isEmpty {
            #expect(r.x >= 0 && r.y >= 0 && r.maxX <= width && r.maxY <= height, "\(r) outside \(width)x\(height)")
        }
        #expect(l.input.maxX < l.layerPane.x)
        #expect(l.layerPane.maxX < l.zoom.x)
        #expect(l.layerPane.maxY <= l.status.y && l.optimization.maxY <= l.status.y)
        #expect(l.status.maxY == height)
        #expect(!l.zoom.isEmpty && !l.backward.isEmpty && !l.optimization.isEmpty && !l.slider.isEmpty)
        #expect(l.zoom.maxX <= l.backward.x)
        #expect(l.grid.count == 256)
        let last = l.grid.rect(of: 255)
        #expect(l.layerPane.contains(last.x, last.y) && last.maxX <= l.layerPane.maxX && last.maxY <= l.layerPane.maxY)
    }

    @Test func reflowsOnResize() {
        let big = ViewerLayout(width: 1920, height: 1080, layer: layer, layerCount: 5, currentLayer: 0)
        let small = ViewerLayout(width: 800, height: 600, layer: layer, layerCount: 5, currentLayer: 0)
        #expect(big.grid.tileWidth > small.grid.tileWidth)
        #expect(big.input.width > small.input.width)
        #expect(big != small)
    }

    @Test func longLayerListsScrollToTheCurrentLayer() {
        let l = ViewerLayout(width: 1280, height: 720, layer: layer, layerCount: 200, currentLayer: 150)
        #expect(!l.layerList.isEmpty && l.layerList.count < 200)
        #expect(l.layerList.contains { $0.layer == 150 })
        let first = ViewerLayout(width: 1280, height: 720, layer: layer, layerCount: 200, currentLayer: 0)
        #expect(first.layerList.first?.layer == 0)
        let end = ViewerLayout(width: 1280, height: 720, layer: layer, layerCount: 200, currentLayer: 199)
        #expect(end.layerList.last?.layer == 199)
    }

    @Test func hitTestFindsTilesLayersAndTheSlider() {
        let l = ViewerLayout(width: 1280, height: 720, layer: layer, layerCount: 5, currentLayer: 3)
        let tile = l.grid.rect(of: 77).center
        #expect(l.hitTest(x: tile.x, y: tile.y) == .tile(77))
        let row = l.layerList[2].rect.center
        #expect(l.hitTest(x: row.x, y: row.y) == .layer(l.layerList[2].layer))
        #expect(l.hitTest(x: l.slider.x, y: l.slider.center.y) == .slider(fraction: 0))
        #expect(l.hitTest(x: l.slider.maxX - 1, y: l.slider.center.y) == .slider(fraction: 1))
        #expect(l.hitTest(x: l.status.center.x, y: l.status.center.y) == nil)
    }

    @Test func sliderFractionsMapToHistoryEntries() {
        #expect(ViewerLayout.historyIndex(fraction: 0, count: 10) == 0)
        #expect(ViewerLayout.historyIndex(fraction: 1, count: 10) == 9)
        #expect(ViewerLayout.historyIndex(fraction: 0.5, count: 3) == 1)
        #expect(ViewerLayout.historyIndex(fraction: 0.5, count: 0) == nil)
        let l = ViewerLayout(width: 1280, height: 720, layer: layer, layerCount: 5, currentLayer: 3)
        #expect(l.sliderFraction(atX: l.slider.x - 50) == 0)
        #expect(l.sliderFraction(atX: l.slider.maxX + 50) == 1)
        for i in 0..<7 {
            let x = l.sliderKnobX(index: i, count: 7)
            #expect(ViewerLayout.historyIndex(fraction: l.sliderFraction(atX: x), count: 7) == i)
        }
    }
}
