import Glibc
import Imaging
import NeuralNetwork

/// Synthetic `DisplayFrame`s — moving waves as activations, fake labels, a growing fake optimization — so the
/// window can be exercised and screenshotted without a network or a camera (`deepvis live --demo`).
public final class DemoFrameSource {
    /// The demo's layers, shaped like a small convnet; "conv5" (256×13×13) is the default.
    public let layers: [LayerInfo] = [
        LayerInfo(name: "stem", channels: 32, height: 56, width: 56),
        LayerInfo(name: "block3", channels: 40, height: 28, width: 28),
        LayerInfo(name: "block5", channels: 112, height: 14, width: 14),
        LayerInfo(name: "conv5", channels: 256, height: 13, width: 13),
        LayerInfo(name: "head", channels: 1280, height: 7, width: 7),
    ]
    /// Index of "conv5".
    public let defaultLayer = 3
    private var sequence = 0
    private var historyCache: [Int: RGBImage] = [:]
    private var historyCacheUnit: [Int] = []
    private static let labelNames = ["tabby cat", "tiger cat", "Egyptian cat", "lynx", "espresso", "teapot", "goldfish"]

    /// A demo source.
    public init() {}

    /// The frame at `time` seconds for a viewer in `state` (its layer's activations and unit results).
    public func frame(at time: Double, state: ViewerState) -> DisplayFrame {
        sequence += 1
        let layerIndex = min(max(state.layerIndex, 0), layers.count - 1)
        let layer = layers[layerIndex]
        let unit = UnitDetail(layerIndex: layerIndex, channel: state.selectedUnit,
                              backward: backward(unit: state.selectedUnit, mode: state.backwardMode, time: time),
                              optimization: optimization(layer: layerIndex, unit: state.selectedUnit, time: time),
                              topPatches: (0..<9).map { patch($0, unit: state.selectedUnit) })
        return DisplayFrame(
            sequence: sequence, input: Self.input(at: time), labels: Self.labels(at: time), layers: layers,
            activations: [LayerActivations(layerIndex: layerIndex, values: Self.activations(of: layer, at: time))],
            unit: unit,
            statistics: PipelineStatistics(captureFPS: 30, forwardFPS: 24.6, probeFPS: 7.9,
                                           droppedFrames: Int(time * 5.4), latencyMilliseconds: 52),
            source: "demo: synthetic activations", status: "")
    }

    /// Waves of a per-channel direction, frequency and speed, rectified like ReLU outputs; every 17th channel is dead.
    public static func activations(of layer: LayerInfo, at time: Double) -> [Float] {
        let (h, w) = (layer.height, layer.width)
        var values = [Float](repeating: 0, count: layer.channels * h * w)
        for c in 0..<layer.channels where c % 17 != 5 {
            let angle = Double(c) * 2.399963, waves = Double(1 + c % 4)
            let fx = cos(angle) * waves / Double(w), fy = sin(angle) * waves / Double(h)
            let phase = time * (0.6 + Double(c % 7) * 0.35) + Double(c)
            let amplitude = Float(0.4 + Double(c % 11) * 0.12)
            for y in 0..<h {
                for x in 0..<w {
                    let s = sin(2 * Double.pi * (fx * Double(x) + fy * Double(y)) + phase)
                    values[(c * h + y) * w + x] = max(Float(s), 0) * amplitude
                }
            }
        }
        return values
    }

    /// A colourful moving scene at 224×224, so the input pane shows motion.
    public static func input(at time: Double) -> RGBImage {
        let n = 224
        var pixels = [UInt8](repeating: 0, count: n * n * 3)
        let cx = 112 + 60 * cos(time), cy = 112 + 60 * sin(time * 1.3)
        for y in 0..<n {
            for x in 0..<n {
                let i = (y * n + x) * 3
                let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                let ring = d < 40 ? 1.0 : 0.0
                pixels[i] = UInt8(clamping: Int(40 + 120 * Double(x) / 224 + 90 * ring))
                pixels[i + 1] = UInt8(clamping: Int(60 + 100 * Double(y) / 224 + 40 * sin(time + Double(x) / 20)))
                pixels[i + 2] = UInt8(clamping: Int(90 + 100 * (1 - ring) * Double(n - y) / 224))
            }
        }
        return RGBImage(width: n, height: n, pixels: pixels)
    }

    private static func labels(at time: Double) -> [LabelScore] {
        let scores = labelNames.indices.map { exp(2.5 * sin(time * 0.4 + Double($0) * 0.9)) }
        let total = scores.reduce(0, +)
        return scores.indices.sorted { scores[$0] > scores[$1] }.prefix(5)
            .map { LabelScore(label: labelNames[$0], probability: Float(scores[$0] / total)) }
    }

    private func backward(unit: Int, mode: BackwardMode, time: Double) -> BackwardImage {
        let n = 112
        let cx = Double(n) * (0.3 + 0.4 * Double(unit % 5) / 4), cy = Double(n) * (0.3 + 0.4 * Double(unit % 3) / 2)
        let frequency = mode == .gradient ? 0.9 : mode == .deconvnet ? 0.45 : 0.25
        var values = [Float](repeating: 0, count: 3 * n * n)
        for c in 0..<3 {
            for y in 0..<n {
                for x in 0..<n {
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    let envelope = exp(-(dx * dx + dy * dy) / 600)
                    values[(c * n + y) * n + x] = Float(envelope * sin(frequency * Double(x + 2 * y) + Double(c) * 2 + time))
                }
            }
        }
        return BackwardImage(mode: mode, width: n, height: n, values: values)
    }

    private func optimization(layer: Int, unit: Int, time: Double) -> OptimizationProgress {
        if historyCacheUnit != [layer, unit] { historyCache = [:]; historyCacheUnit = [layer, unit] }
        let count = min(Int(time * 3) + 1, 40)
        let history = (0..<count).map { i -> OptimizationStep in
            if historyCache[i] == nil { historyCache[i] = Self.pattern(unit: unit, strength: Double(i + 1) / 40) }
            return OptimizationStep(step: (i + 1) * 10, image: historyCache[i]!, objective: Float(i) * 0.37 + 0.2)
        }
        return OptimizationProgress(current: history.last?.image, history: history, running: count < 40, preset: "preset 1")
    }

    private static func pattern(unit: Int, strength: Double) -> RGBImage {
        let n = 96
        var pixels = [UInt8](repeating: 0, count: n * n * 3)
        for y in 0..<n {
            for x in 0..<n {
                for c in 0..<3 {
                    let v = sin(Double(x) * (0.15 + Double(unit % 7) * 0.04) + Double(c * 2))
                        * cos(Double(y) * (0.12 + Double(unit % 5) * 0.05) - Double(c))
                    pixels[(y * n + x) * 3 + c] = UInt8(clamping: Int(127 + 127 * strength * v))
                }
            }
        }
        return RGBImage(width: n, height: n, pixels: pixels)
    }

    private func patch(_ k: Int, unit: Int) -> RGBImage {
        let n = 32
        var pixels = [UInt8](repeating: 0, count: n * n * 3)
        for i in 0..<(n * n) {
            let x = i % n, y = i / n
            pixels[3 * i] = UInt8(clamping: 60 + (x * 5 + k * 20 + unit) % 160)
            pixels[3 * i + 1] = UInt8(clamping: 60 + (y * 5 + k * 30) % 160)
            pixels[3 * i + 2] = UInt8(clamping: 80 + ((x + y) * 3 + unit * 7) % 120)
        }
        return RGBImage(width: n, height: n, pixels: pixels)
    }
}
