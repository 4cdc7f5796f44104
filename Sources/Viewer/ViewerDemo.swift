import ViewerCore

/// Runs the window on synthetic frames (no network, no camera): `deepvis live --demo`.
public enum ViewerDemo {
    /// Opens a viewer on `DemoFrameSource`; headless runs advance demo time by 1/30 s per frame so output is
    /// reproducible, and write every frame to `outDirectory` (if given) as `frame-NNNN.png`.
    public static func run(configuration: ViewerConfiguration = ViewerConfiguration(), keys: [ScheduledKey] = [],
                           maxFrames: Int? = nil, outDirectory: String? = nil) throws(ViewerError) {
        let source = DemoFrameSource()
        let window = try ViewerWindow(configuration: configuration,
                                      state: ViewerState(layerIndex: source.defaultLayer, selectedUnit: 0))
        let start = DisplayClock.now()
        var index = 0
        var saveError: ViewerError?
        window.run(keys: keys, maxFrames: maxFrames, frames: {
            let time = configuration.output == .headless
                ? Double(index) / 30 : Double(DisplayClock.now() - start) / 1e9
            index += 1
            return source.frame(at: time, state: window.state)
        }, afterDraw: { frameIndex in
            guard let outDirectory, saveError == nil else { return }
            let name = String(repeating: "0", count: max(0, 4 - String(frameIndex).count)) + String(frameIndex)
            do throws(ViewerError) {
                try window.saveScreenshot(to: outDirectory + "/frame-\(name).png")
            } catch { saveError = error }
        })
        if let saveError { throw saveError }
    }
}
