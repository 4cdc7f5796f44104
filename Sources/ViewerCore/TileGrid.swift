/// The layer pane's tiling: `count` tiles of equal size, row-major, separated by `gap` pixels.
public struct TileGrid: Sendable, Equatable {
    public var count: Int
    public var columns: Int
    public var rows: Int
    public var tileWidth: Int
    public var tileHeight: Int
    public var gap: Int
    /// Top-left of tile 0.
    public var originX: Int
    public var originY: Int

    /// Tiles `count` maps of `mapWidth` × `mapHeight` into `pane` as large as they fit.
    ///
    /// Tries every column count and keeps the one giving the largest tiles; for square panes and maps
    /// that lands at columns ≈ √(n·aspect). Ties go to the count nearest that value, then to fewer rows.
    public init(count: Int, mapWidth: Int, mapHeight: Int, in pane: Rect) {
        self.count = count
        let mw = max(mapWidth, 1), mh = max(mapHeight, 1)
        guard count > 0, !pane.isEmpty else {
            self.columns = 1; self.rows = 0; self.tileWidth = 0; self.tileHeight = 0
            self.gap = 0; self.originX = pane.x; self.originY = pane.y
            return
        }
        let ideal = (Double(count) * Double(pane.width) / Double(pane.height) * Double(mh) / Double(mw)).squareRoot()
        var best = (scale: -1.0, columns: 1, gap: 1)
        for columns in 1...count {
            let rows = (count + columns - 1) / columns
            // Small tiles get a 1 px gap so the gaps don't eat the pane; larger ones 2 px.
            for gap in [2, 1] {
                let w = Double(pane.width - (columns - 1) * gap) / Double(columns)
                let h = Double(pane.height - (rows - 1) * gap) / Double(rows)
                let scale = min(w / Double(mw), h / Double(mh))
                let smallEnough = gap == 1 || scale * Double(min(mw, mh)) >= 12
                guard smallEnough, scale > 0 else { continue }
                let better = scale > best.scale + 1e-9
                    || (abs(scale - best.scale) <= 1e-9 && abs(Double(columns) - ideal) < abs(Double(best.columns) - ideal))
                if better { best = (scale, columns, gap) }
                break
            }
        }
        columns = best.columns
        rows = (count + columns - 1) / columns
        gap = best.gap
        let scale = max(best.scale, 0)
        tileWidth = max(Int(Double(mw) * scale), scale > 0 ? 1 : 0)
        tileHeight = max(Int(Double(mh) * scale), scale > 0 ? 1 : 0)
        let gridWidth = columns * tileWidth + (columns - 1) * gap
        let gridHeight = rows * tileHeight + (rows - 1) * gap
        originX = pane.x + max((pane.width - gridWidth) / 2, 0)
        originY = pane.y + max((pane.height - gridHeight) / 2, 0)
    }

    /// The on-screen rectangle of tile `index` (row-major).
    public func rect(of index: Int) -> Rect {
        let row = index / columns, column = index % columns
        return Rect(x: originX + column * (tileWidth + gap), y: originY + row * (tileHeight + gap),
                    width: tileWidth, height: tileHeight)
    }

    /// The tile under pixel (`x`, `y`), or nil over a gap, outside the grid, or past the last tile.
    public func index(atX x: Int, y: Int) -> Int? {
        guard tileWidth > 0, tileHeight > 0, x >= originX, y >= originY else { return nil }
        let column = (x - originX) / (tileWidth + gap), row = (y - originY) / (tileHeight + gap)
        guard column < columns, row < rows else { return nil }
        let index = row * columns + column
        guard index < count, rect(of: index).contains(x, y) else { return nil }
        return index
    }
}
