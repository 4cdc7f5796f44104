import CSDL2
import Imaging
import ViewerCore

/// The DeepVis window: draws `DisplayFrame`s per `ViewerState` and turns SDL input into `ViewerCommand`s.
///
/// Use from one thread only (SDL is not thread-safe); feed it frames from the pipeline's latest-value box.
public final class ViewerWindow {
    /// The user's current choices (layer, unit, modes); the pipeline reads it through `run`'s `onCommand`.
    public private(set) var state: ViewerState
    public let configuration: ViewerConfiguration
    let target: RenderTarget
    var canvas: Canvas
    /// How many rendered text strings are cached (a diagnostic: it must not grow frame after frame).
    public var cachedTextCount: Int { canvas.text.cachedCount }
    var textures: PaneTextures
    /// The frame drawn last; commands are interpreted against its layers.
    public internal(set) var lastFrame: DisplayFrame?
    var mosaic: ActivationMosaic?
    var mosaicKey: [Int] = []
    var hover: (x: Int, y: Int)?
    var draggingSlider = false
    var clock = DisplayClock()
    var screenshotRequested = false
    /// Set by input and commands; cleared by `draw`.
    var needsRedraw = true
    var screenshotCount = 0
    /// The backward image in the backward texture; re-rendering (a percentile over 150k values) only when it changes.
    var renderedBackward: (image: BackwardImage, rendering: GradientRendering)?
    /// Path of the last screenshot saved with the `s` key.
    public internal(set) var lastScreenshotPath: String?
    /// A message shown in the status bar for a few seconds (e.g. "saved screenshot …").
    var notice: (text: String, until: UInt64)?
    /// The gradient-ascent presets the front-end offers, by name; `ViewerState.presetIndex` indexes it.
    public var presetNames: [String] = []

    /// Opens the window (or the headless surface) and loads the fonts.
    public init(configuration: ViewerConfiguration = ViewerConfiguration(), state: ViewerState = ViewerState())
        throws(ViewerError) {
        self.configuration = configuration
        self.state = state
        target = try RenderTarget(output: configuration.output, title: configuration.title,
                                  width: configuration.width, height: configuration.height)
        (canvas, textures) = try Self.makeCanvas(target.renderer, configuration)
    }

    private static func makeCanvas(_ renderer: OpaquePointer, _ c: ViewerConfiguration) throws(ViewerError)
        -> (Canvas, PaneTextures) {
        let fonts: [FontFace: String] = [
            .sans: c.fontDirectory + "/DejaVuSans.ttf",
            .sansBold: c.fontDirectory + "/DejaVuSans-Bold.ttf",
            .mono: c.fontDirectory + "/DejaVuSansMono.ttf",
        ]
        let text = try TextRenderer(renderer: renderer, fonts: fonts, pointSize: c.fontPointSize)
        return (Canvas(renderer: renderer, text: text), PaneTextures(renderer: renderer))
    }

    /// Current drawing size in pixels.
    public var size: (width: Int, height: Int) { target.size }

    /// Resizes the window (or headless surface); the layout reflows on the next `draw`.
    public func resize(width: Int, height: Int) throws(ViewerError) {
        if try target.resize(width: width, height: height) {
            (canvas, textures) = try Self.makeCanvas(target.renderer, configuration)
            mosaicKey = []
        }
    }

    /// The layout for `frame` at the current size (tile rectangles, slider, …).
    public func layout(for frame: DisplayFrame?) -> ViewerLayout {
        let layers = frame?.layers ?? []
        let layer = layers.indices.contains(state.layerIndex) ? layers[state.layerIndex] : nil
        let (w, h) = size
        return ViewerLayout(width: w, height: h, layer: layer, layerCount: layers.count,
                            currentLayer: state.layerIndex, lineHeight: canvas.text.lineHeight)
    }

    func context(for frame: DisplayFrame?) -> ViewerContext {
        let history = unitDetail(of: frame)?.optimization?.history.count ?? 0
        return ViewerContext(layers: frame?.layers ?? [], columns: layout(for: frame).grid.columns, historyCount: history,
                             presetCount: presetNames.count)
    }

    /// The frame's unit results if they belong to the selected unit (stale results are not shown).
    func unitDetail(of frame: DisplayFrame?) -> UnitDetail? {
        guard let unit = frame?.unit, unit.layerIndex == state.layerIndex, unit.channel == state.selectedUnit else {
            return nil
        }
        return unit
    }

    /// Applies `command` to the state against the last drawn frame; screenshots are taken after the next draw.
    public func apply(_ command: ViewerCommand) {
        state.apply(command, in: context(for: lastFrame))
        needsRedraw = true
        if command == .screenshot { screenshotRequested = true }
    }

    /// Looks `key` up in the key table and applies its command; returns the command, or nil if unbound.
    @discardableResult
    public func press(key: String) -> ViewerCommand? {
        guard let command = configuration.keyTable.command(forKey: key) else { return nil }
        apply(command)
        return command
    }

    /// Replaces the state (e.g. `--select LAYER:UNIT` at start-up).
    public func setState(_ newState: ViewerState) {
        state = newState
    }
}
