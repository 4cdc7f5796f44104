import Capture
import Imaging
import NeuralNetwork

/// A layer the viewer can show: a graph value with a `channels × height × width` output.
public struct PipelineLayer: Sendable, Equatable {
    /// The name the user knows it by (manifest name or alias).
    public var name: String
    /// The graph value id.
    public var valueID: Int
    public var channels: Int
    public var height: Int
    public var width: Int

    /// The layers worth showing: the manifest's list (falling back to every node output), with their shapes.
    /// Rank-2 outputs such as logits become `K × 1 × 1`.
    public static func list(graph: Graph, info: ModelInfo) -> [PipelineLayer] {
        let names = info.layers.isEmpty ? graph.nodes.map { graph.values[$0.output].name } : info.layers
        return names.compactMap { name in
            guard let id = try? info.layerID(name, in: graph) else { return nil }
            let shape = graph.values[id].shape
            switch shape.count {
            case 4: return PipelineLayer(name: name, valueID: id, channels: shape[1], height: shape[2], width: shape[3])
            case 2: return PipelineLayer(name: name, valueID: id, channels: shape[1], height: 1, width: 1)
            default: return nil
            }
        }
    }
}

/// A frame as it left the capture thread: the picture plus when it was captured.
public struct StampedFrame: Sendable {
    public var frame: Frame
    /// `uptimeNanoseconds()` when the capture thread received it.
    public var captureTime: UInt64
    /// 1, 2, … per pipeline, across sources (the source's own `frame.index` restarts when sources change).
    public var id: Int
    /// The network's view of the frame (resized and cropped to its input), made on the capture thread: the forward
    /// thread, whose pass must fit between two frames, then only normalizes it.
    public var view: RGBImage
}

/// A class and its softmax probability.
public struct ClassScore: Sendable, Equatable {
    public var index: Int
    public var label: String
    public var probability: Float
}

/// What the forward thread publishes for one frame: immutable, so the UI and the probe can read it freely.
public struct LayerSnapshot: Sendable {
    /// 1, 2, … in publish order.
    public var sequence: Int
    /// `StampedFrame.id` of the frame this was computed from (several snapshots share it when frozen).
    public var frameID: Int
    /// The source's frame index (for matching a frame of a file).
    public var sourceFrameIndex: Int
    public var captureTime: UInt64
    /// The picture as the network sees it (resized and cropped).
    public var input: RGBImage
    /// Index into `LivePipeline.layers` of `activations`.
    public var layerIndex: Int
    /// That layer's output, C×H×W.
    public var activations: [Float]
    /// Top-5 classes, best first (empty if the graph's output is not a class vector).
    public var top: [ClassScore]
    /// Outputs of `PipelineControls.watchedLayers` (other than `layerIndex`), C×H×W each, keyed by layer index.
    public var watchedActivations: [Int: [Float]] = [:]

    /// The output of layer `index` if this snapshot carries it.
    public func activations(ofLayer index: Int) -> [Float]? {
        index == layerIndex ? activations : watchedActivations[index]
    }
}

/// The backward image of the selected unit, computed by the probe thread.
public struct ProbeResult: Sendable {
    /// The snapshot whose input it was computed on.
    public var snapshotSequence: Int
    /// That snapshot's source frame (`LayerSnapshot.sourceFrameIndex`): outside lossless mode the probe may run on a
    /// snapshot a frame or two older than the newest.
    public var sourceFrameIndex: Int
    public var selection: UnitSelection
    /// d(unit)/d(input), [3, H, W] planar; empty when `error` is set.
    public var values: [Float]
    public var width: Int
    public var height: Int
    /// Why the backward pass failed, in plain words; nil when it worked.
    public var error: String? = nil
}

/// What the probe and the ascent maximize for the selected channel (the same thing for both).
public enum UnitObjective: String, Sendable, Equatable, CaseIterable {
    /// The channel's centre unit, as the paper optimizes (on a 1×1 map such as logits: the unit itself).
    case centreUnit = "centre unit"
    /// The channel's mean over space.
    case channelMean = "channel mean"
}

/// Which unit is selected and how its backward image is made.
public struct UnitSelection: Sendable, Hashable {
    /// Index into `LivePipeline.layers`.
    public var layerIndex: Int
    public var channel: Int
    public var mode: BackwardMode
    /// What the probe's backward image and the ascent maximize.
    public var objective: UnitObjective

    /// Channel `channel` of layer `layerIndex`, backward with `mode`, maximizing `objective`.
    public init(layerIndex: Int, channel: Int, mode: BackwardMode = .gradient, objective: UnitObjective = .centreUnit) {
        self.layerIndex = layerIndex
        self.channel = channel
        self.mode = mode
        self.objective = objective
    }

    /// Same layer, channel and objective (the backward mode does not change what the ascent optimizes).
    public func sameUnit(as other: UnitSelection) -> Bool {
        layerIndex == other.layerIndex && channel == other.channel && objective == other.objective
    }
}

/// What the user asked for, read by every worker thread at its next step boundary.
public struct PipelineControls: Sendable, Equatable {
    /// The unit whose backward image is computed; its layer is also the layer whose activations are published.
    public var selection: UnitSelection
    /// Keep working on the held frame; new frames are read and discarded.
    public var frozen = false
    /// Stop reading, computing and publishing.
    public var paused = false
    /// Compute backward images at all.
    public var probing = true
    /// Index into the configured sources.
    public var sourceIndex = 0
    /// More layers whose outputs every snapshot carries (other front-ends' views, e.g. browsers).
    public var watchedLayers: Set<Int> = []
    /// More units whose backward images the probe computes, each at most once per snapshot, besides `selection`.
    public var extraProbes: Set<UnitSelection> = []
    /// Gradient ascent of the selected unit (nil: off); any change restarts the run.
    public var ascent: AscentSettings?
    /// Keep the shown layer's top patches this session.
    public var topPatches = true
    /// Compute the backward images of the selected channel's top patches.
    public var patchBackward = false

    /// Controls starting on `selection`.
    public init(selection: UnitSelection) { self.selection = selection }
}

/// Where the frames come from and what has gone wrong with them, for the status bar.
public struct SourceStatus: Sendable, Equatable {
    /// What the capture thread is doing.
    public enum Phase: Sendable, Equatable {
        case opening, running
        /// A camera went away (or failed to open); retrying every `retryInterval` seconds.
        case reconnecting
        /// The stream ended (or broke) and will not be restarted.
        case ended
    }
    public var phase: Phase
    /// e.g. "video sample.mp4 h264 640x480 @ 25 fps".
    public var source: String
    /// A fault or note in plain words; empty if none.
    public var message: String
}
