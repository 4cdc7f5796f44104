import Imaging
import NeuralNetwork

/// Shape and name of one layer the viewer can show; activations are `channels × height × width`.
public struct LayerInfo: Sendable, Equatable {
    public var name: String
    public var channels: Int
    public var height: Int
    public var width: Int

    /// A layer named `name` whose output is `channels × height × width`.
    public init(name: String, channels: Int, height: Int, width: Int) {
        self.name = name
        self.channels = channels
        self.height = height
        self.width = width
    }
}

/// One layer's output for one frame: `values` is C×H×W, row-major within a channel.
public struct LayerActivations: Sendable, Equatable {
    /// Index into `DisplayFrame.layers`.
    public var layerIndex: Int
    public var values: [Float]
    /// Optional range the pipeline wants the whole layer mapped to (e.g. a running maximum, so
    /// brightness does not flicker from frame to frame); nil means "use this frame's min/max".
    public var layerRange: ClosedRange<Float>?

    /// Activations of layer `layerIndex`; `values.count` must be C·H·W of that layer.
    public init(layerIndex: Int, values: [Float], layerRange: ClosedRange<Float>? = nil) {
        self.layerIndex = layerIndex
        self.values = values
        self.layerRange = layerRange
    }
}

/// A class label with its probability (0…1).
public struct LabelScore: Sendable, Equatable {
    public var label: String
    public var probability: Float

    /// `label` predicted with `probability`.
    public init(label: String, probability: Float) {
        self.label = label
        self.probability = probability
    }
}

/// The raw backward result for the selected unit: three channels of `height × width` floats (CHW),
/// kept unrendered so the viewer can switch renderings (raw / gray / norm / normblur, `GradientRendering`) without recomputing.
public struct BackwardImage: Sendable, Equatable {
    public var mode: BackwardMode
    public var width: Int
    public var height: Int
    public var values: [Float]

    /// A 3×`height`×`width` gradient computed with `mode`.
    public init(mode: BackwardMode, width: Int, height: Int, values: [Float]) {
        precondition(values.count == 3 * width * height, "BackwardImage: \(values.count) values for 3x\(height)x\(width)")
        self.mode = mode
        self.width = width
        self.height = height
        self.values = values
    }
}

/// One recorded step of gradient ascent, read by the history slider.
public struct OptimizationStep: Sendable, Equatable {
    public var step: Int
    public var image: RGBImage
    public var objective: Float

    /// The image after `step` steps, scoring `objective`.
    public init(step: Int, image: RGBImage, objective: Float) {
        self.step = step
        self.image = image
        self.objective = objective
    }
}

/// The gradient-ascent image for the selected unit, growing live.
public struct OptimizationProgress: Sendable, Equatable {
    /// The latest image (may be newer than the last history entry).
    public var current: RGBImage?
    public var history: [OptimizationStep]
    public var running: Bool
    /// Name of the regularizer preset in use, shown beside the slider.
    public var preset: String
    /// Steps done and planned (0 planned: unknown).
    public var step = 0, iterations = 0
    /// The objective at the newest step.
    public var objective: Float?
    /// Seconds left at the current rate, while running.
    public var secondsRemaining: Double?
    /// What is maximized, e.g. "centre unit" or "channel mean".
    public var target = ""
    /// Where the image came from: "computed", "store" or "atlas" (empty: not said).
    public var source = ""
    /// Why the optimization failed, in plain words; nil if it did not.
    public var error: String?

    /// Progress so far; `running` is false once the optimizer finished or was cancelled.
    public init(current: RGBImage? = nil, history: [OptimizationStep] = [], running: Bool = false, preset: String = "") {
        self.current = current
        self.history = history
        self.running = running
        self.preset = preset
    }
}

/// What the unit pane shows for the selected unit, beyond the zoomed map (which comes from the activations).
public struct UnitDetail: Sendable, Equatable {
    /// The unit these results belong to; the viewer ignores them when they are for another unit.
    public var layerIndex: Int
    public var channel: Int
    public var backward: BackwardImage?
    /// Why the backward image could not be computed, in plain words; nil if it could.
    public var backwardError: String?
    public var optimization: OptimizationProgress?
    /// Highest-activating patches seen in this session, best first (up to 9 are drawn).
    public var topPatches: [RGBImage]
    /// The unit's activation on each of `topPatches` (same order; may be empty).
    public var topPatchActivations: [Float] = []
    /// Backward images of `topPatches` (same order; empty until computed), shown when `ViewerState.patchesShowBackward`.
    public var topPatchBackward: [RGBImage] = []
    /// Where the patches come from, e.g. "this session" or "atlas (video sample.mp4 …)".
    public var topPatchSource = "this session"
    /// How `topPatchBackward` was made and why, e.g. "guided backprop (no max-pooling: deconvnet ignores the input)".
    public var topPatchBackwardNote = ""

    /// Results for channel `channel` of layer `layerIndex`.
    public init(layerIndex: Int, channel: Int, backward: BackwardImage? = nil,
                optimization: OptimizationProgress? = nil, topPatches: [RGBImage] = []) {
        self.layerIndex = layerIndex
        self.channel = channel
        self.backward = backward
        self.optimization = optimization
        self.topPatches = topPatches
    }
}

/// Throughput figures the pipeline measures; the viewer adds its own display rate.
public struct PipelineStatistics: Sendable, Equatable {
    public var captureFPS: Double
    public var forwardFPS: Double
    public var probeFPS: Double
    public var droppedFrames: Int
    /// Median capture→publish latency in milliseconds.
    public var latencyMilliseconds: Double

    /// All figures; zero means "not measured yet".
    public init(captureFPS: Double = 0, forwardFPS: Double = 0, probeFPS: Double = 0,
                droppedFrames: Int = 0, latencyMilliseconds: Double = 0) {
        self.captureFPS = captureFPS
        self.forwardFPS = forwardFPS
        self.probeFPS = probeFPS
        self.droppedFrames = droppedFrames
        self.latencyMilliseconds = latencyMilliseconds
    }
}

/// Everything the window draws for one published frame: an immutable value the pipeline
/// hands over through a latest-value box, so the UI never waits on compute.
public struct DisplayFrame: Sendable, Equatable {
    /// Increases with each published frame; lets the viewer skip re-uploading textures.
    public var sequence: Int
    /// The image as the network sees it (after resize/crop).
    public var input: RGBImage
    /// Top-k labels, best first (5 are drawn).
    public var labels: [LabelScore]
    /// Every layer the user can switch to, in network order.
    public var layers: [LayerInfo]
    /// Outputs of some layers for this frame — at least the one the viewer asked for, if available.
    public var activations: [LayerActivations]
    public var unit: UnitDetail?
    public var statistics: PipelineStatistics
    /// e.g. "camera /dev/video0 640x480 MJPEG" or "video sample.mp4 (looping)".
    public var source: String
    /// A fault or note in plain words, e.g. "camera unplugged — waiting for it to return"; empty if none.
    public var status: String
    /// e.g. "12 of 320 units ready" (optimized images in the store for the shown layer); empty if not known.
    public var unitsReady = ""
    /// Monotonic capture time (`DispatchTime.uptimeNanoseconds`), so the viewer can measure capture→display latency.
    public var captureUptimeNanoseconds: UInt64?

    /// A frame; only `input` and `layers` are required.
    public init(sequence: Int = 0, input: RGBImage, labels: [LabelScore] = [], layers: [LayerInfo],
                activations: [LayerActivations] = [], unit: UnitDetail? = nil,
                statistics: PipelineStatistics = PipelineStatistics(), source: String = "", status: String = "",
                captureUptimeNanoseconds: UInt64? = nil) {
        self.sequence = sequence
        self.input = input
        self.labels = labels
        self.layers = layers
        self.activations = activations
        self.unit = unit
        self.statistics = statistics
        self.source = source
        self.status = status
        self.captureUptimeNanoseconds = captureUptimeNanoseconds
    }

    /// The activations of layer `index`, if this frame carries them.
    public func activations(ofLayer index: Int) -> LayerActivations? {
        activations.first { $0.layerIndex == index }
    }
}
