/// Where everything goes in a window of a given size; recomputed on every resize or layer change.
///
/// ```
/// ┌ input ─────┬ layer pane (tile grid) ──────────────┬ unit pane ───────────┐
/// │ frame      │ ▪▪▪▪▪▪▪▪▪▪▪▪▪▪▪▪                      │ zoomed map │ backward│
/// │ top-5      │ ▪▪▪▪▪▪▪▪▪▪▪▪▪▪▪▪                      │ optimization image   │
/// │ layer list │ ▪▪▪▪▪▪▪▪▪▪▪▪▪▪▪▪                      │ history slider       │
/// │            │                                      │ top patches 3×3      │
/// ├────────────┴──────────────────────────────────────┴──────────────────────┤
/// │ status bar                                                               │
/// └──────────────────────────────────────────────────────────────────────────┘
/// ```
public struct ViewerLayout: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var lineHeight: Int

    public var inputTitle = Rect.zero
    /// Square box the input image is fitted into.
    public var input = Rect.zero
    /// One row per label, best first.
    public var labels: [Rect] = []
    public var layerListTitle = Rect.zero
    /// Visible layer-list rows with the layer index each shows (the list scrolls to keep the current one visible).
    public var layerList: [LayerListRow] = []

    public var layerTitle = Rect.zero
    public var layerPane = Rect.zero
    public var grid: TileGrid

    public var unitTitle = Rect.zero
    public var zoomCaption = Rect.zero
    public var zoom = Rect.zero
    public var backwardCaption = Rect.zero
    public var backward = Rect.zero
    public var optimizationCaption = Rect.zero
    /// The right end of the optimization caption: the preset's name, clickable.
    public var presetLabel = Rect.zero
    public var optimization = Rect.zero
    public var slider = Rect.zero
    /// Below the slider: step, objective, ETA and where the image came from.
    public var optimizationStatus = Rect.zero
    public var patchesCaption = Rect.zero
    /// Up to nine cells, row-major; empty if the window is too small for them.
    public var patches: [Rect] = []

    public var status = Rect.zero

    static let margin = 8
    static let gap = 6

    /// Lays out a `width` × `height` window showing `layer` (nil: none yet) of `layerCount` layers.
    public init(width: Int, height: Int, layer: LayerInfo?, layerCount: Int, currentLayer: Int,
                lineHeight: Int = 16, labelCount: Int = 5) {
        self.width = width
        self.height = height
        self.lineHeight = lineHeight
        let m = Self.margin
        let statusHeight = lineHeight + 8
        status = Rect(x: 0, y: height - statusHeight, width: width, height: statusHeight)
        let top = m, bottom = status.y - m
        let leftWidth = Self.clamp(width * 22 / 100, 140, 320)
        let rightWidth = Self.clamp(width * 26 / 100, 160, 380)
        let left = Rect(x: m, y: top, width: leftWidth, height: bottom - top)
        let right = Rect(x: width - m - rightWidth, y: top, width: rightWidth, height: bottom - top)
        let middle = Rect(x: left.maxX + 2 * m, y: top, width: right.x - 2 * m - (left.maxX + 2 * m), height: bottom - top)
        grid = TileGrid(count: 0, mapWidth: 1, mapHeight: 1, in: .zero)
        layOutLeft(left, labelCount: labelCount, layerCount: layerCount, currentLayer: currentLayer)
        layOutMiddle(middle, layer: layer)
        layOutRight(right)
    }

    private mutating func layOutLeft(_ column: Rect, labelCount: Int, layerCount: Int, currentLayer: Int) {
        let lh = lineHeight
        inputTitle = Rect(x: column.x, y: column.y, width: column.width, height: lh)
        let side = max(min(column.width, column.height * 45 / 100), 0)
        input = Rect(x: column.x, y: inputTitle.maxY + 2, width: side, height: side)
        labels = (0..<labelCount).map { Rect(x: column.x, y: input.maxY + 4 + $0 * lh, width: column.width, height: lh) }
        let listTop = (labels.last?.maxY ?? input.maxY) + Self.gap * 2
        layerListTitle = Rect(x: column.x, y: listTop, width: column.width, height: lh)
        let rowsFit = max((column.maxY - layerListTitle.maxY - 2) / lh, 0)
        let visible = min(rowsFit, layerCount)
        // Scroll so the current layer sits in the middle of the visible window when the list is long.
        let first = Self.clamp(currentLayer - visible / 2, 0, max(layerCount - visible, 0))
        layerList = (0..<visible).map { i in
            LayerListRow(layer: first + i, rect: Rect(x: column.x, y: layerListTitle.maxY + 2 + i * lh, width: column.width, height: lh))
        }
    }

    private mutating func layOutMiddle(_ column: Rect, layer: LayerInfo?) {
        layerTitle = Rect(x: column.x, y: column.y, width: column.width, height: lineHeight)
        layerPane = Rect(x: column.x, y: layerTitle.maxY + 2, width: column.width,
                         height: max(column.maxY - layerTitle.maxY - 2, 0))
        if let layer {
            grid = TileGrid(count: layer.channels, mapWidth: layer.width, mapHeight: layer.height, in: layerPane)
        }
    }

    private mutating func layOutRight(_ column: Rect) {
        let lh = lineHeight, g = Self.gap
        unitTitle = Rect(x: column.x, y: column.y, width: column.width, height: lh)
        // Zoomed map and backward image side by side; each may use at most a quarter of the height.
        let half = min((column.width - g) / 2, max(column.height / 4, 0))
        zoomCaption = Rect(x: column.x, y: unitTitle.maxY + 2, width: half, height: lh)
        backwardCaption = Rect(x: column.maxX - half, y: zoomCaption.y, width: half, height: lh)
        zoom = Rect(x: column.x, y: zoomCaption.maxY + 2, width: half, height: half)
        backward = Rect(x: backwardCaption.x, y: zoom.y, width: half, height: half)
        let captionRow = Rect(x: column.x, y: zoom.maxY + g, width: column.width, height: lh)
        let presetWidth = column.width * 36 / 100
        optimizationCaption = Rect(x: captionRow.x, y: captionRow.y, width: captionRow.width - presetWidth - 4, height: lh)
        presetLabel = Rect(x: captionRow.maxX - presetWidth, y: captionRow.y, width: presetWidth, height: lh)
        let remaining = column.maxY - captionRow.maxY - 2
        let optSide = max(min(column.width, (remaining - 2 * lh - g) * 55 / 100), 0)
        optimization = Rect(x: column.x + (column.width - optSide) / 2, y: optimizationCaption.maxY + 2,
                            width: optSide, height: optSide)
        slider = Rect(x: column.x, y: optimization.maxY + 4, width: column.width, height: lh)
        optimizationStatus = Rect(x: column.x, y: slider.maxY + 2, width: column.width, height: lh)
        patchesCaption = Rect(x: column.x, y: optimizationStatus.maxY + g, width: column.width, height: lh)
        let patchSide = min(column.width, column.maxY - patchesCaption.maxY - 2)
        let cell = (patchSide - 2 * 2) / 3
        patches = cell >= 8 ? (0..<9).map { i in
            Rect(x: column.x + (i % 3) * (cell + 2), y: patchesCaption.maxY + 2 + (i / 3) * (cell + 2), width: cell, height: cell)
        } : []
    }

    static func clamp(_ v: Int, _ lo: Int, _ hi: Int) -> Int { min(max(v, lo), hi) }
}

/// One visible row of the layer list.
public struct LayerListRow: Sendable, Equatable {
    public var layer: Int
    public var rect: Rect
}
