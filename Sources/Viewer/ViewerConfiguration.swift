import ViewerCore

/// Options for opening a `ViewerWindow`.
public struct ViewerConfiguration: Sendable {
    public var title = "DeepVis"
    public var width = 1280
    public var height = 720
    public var output: ViewerOutput = .window
    /// Folder holding DejaVuSans.ttf, DejaVuSans-Bold.ttf and DejaVuSansMono.ttf (Debian: fonts-dejavu-core).
    public var fontDirectory = "/usr/share/fonts/truetype/dejavu"
    public var fontPointSize = 13
    /// Where the `s` key saves screenshots.
    public var screenshotDirectory = "."
    public var keyTable: KeyTable = .standard
    /// The run loop sleeps to stay near this rate; rendering faster than the pipeline publishes gains nothing.
    public var targetFPS = 60
    /// Headless runs normally draw as fast as they can; true paces them like a window (live benchmarks).
    public var pacesHeadless = false

    /// Defaults: a 1280×720 resizable window.
    public init(output: ViewerOutput = .window, width: Int = 1280, height: Int = 720) {
        self.output = output
        self.width = width
        self.height = height
    }
}
