import Foundation
import Imaging
import NeuralNetwork
import Visualization

/// The shown layer's strongest activations this session, as the top-patch thread last published them.
public struct TopPatchSnapshot: Sendable {
    /// Index into `LivePipeline.layers`.
    public var layerIndex: Int
    /// Per channel, strongest first (at most 9).
    public var patches: [[TopPatch]]
    /// Channels whose 9 slots are all filled.
    public var filledChannels: Int
    /// Frames of this layer considered so far.
    public var frames: Int
    /// The channel whose patches have backward images in `backward` (nil: none asked for).
    public var backwardChannel: Int?
    /// Backward images of `backwardChannel`'s patches, same order (computed lazily, so possibly fewer).
    public var backward: [RGBImage]
    /// How the backward images are made and why (see `BackwardMode.patchDefault`).
    public var backwardNote: String
}

/// The top-patch thread's body: keeps a `TopPatchTracker` per recently shown layer (the last `keptLayers`), feeds it
/// every snapshot it gets to, and computes the selected channel's patch backward images when the UI asks for them.
///
/// Runs at the probe's nice value and skips snapshots it cannot keep up with, so it never slows the forward pass.
/// A backward image is computed on the stored crop pasted back at its position into a gray input view: the unit
/// only sees its receptive field, so this is the frame's own backward image up to the crop's downscaling.
final class TopPatchLoop: @unchecked Sendable {
    static let keptLayers = 3
    private let pipeline: LivePipeline
    private var trackers: [Int: TopPatchTracker] = [:]
    private var recentLayers: [Int] = []
    private var lastSequence = 0
    private var lastPublish: UInt64 = 0
    private var pending = false
    private var lastAskedBackward = false
    private var backward: [String: RGBImage] = [:]
    private var session: Session?
    private let mode: (mode: BackwardMode, reason: String)

    init(pipeline: LivePipeline) {
        self.pipeline = pipeline
        mode = BackwardMode.patchDefault(for: pipeline.graph)
    }

    func run() {
        lowerPriority(by: pipeline.configuration.probeNiceness)
        while !pipeline.isStopping {
            let controls = pipeline.controls
            guard !controls.paused, controls.topPatches, let snapshot = pipeline.latestSnapshot else {
                pipeline.patchWake.wait(seconds: 1)
                continue
            }
            var changed = false
            if snapshot.sequence != lastSequence {
                lastSequence = snapshot.sequence
                ingest(snapshot)
                changed = true
                pending = true
            }
            let backwardDone = controls.patchBackward && snapshot.layerIndex == controls.selection.layerIndex
                ? computeOneBackward(snapshot.layerIndex, controls.selection.channel) : false
            // At most four publications a second (each copies every channel's list), except in lossless mode.
            let due = uptimeNanoseconds() - lastPublish > 250_000_000 || pipeline.configuration.lossless
            if (pending && due) || backwardDone || controls.patchBackward != lastAskedBackward {
                lastAskedBackward = controls.patchBackward
                pending = false
                publish(snapshot.layerIndex, controls)
            } else if !changed {
                pipeline.patchWake.wait(seconds: 0.1)
            }
        }
    }

    private func ingest(_ snapshot: LayerSnapshot) {
        let index = snapshot.layerIndex, layer = pipeline.layers[index]
        var tracker = trackers[index] ?? TopPatchTracker(
            channels: layer.channels, field: ReceptiveField.of(layer: layer.valueID, in: pipeline.graph),
            imageWidth: snapshot.input.width, imageHeight: snapshot.input.height,
            minimumFrameGap: pipeline.configuration.topPatchFrameGap)
        tracker.add(snapshot.activations, height: layer.height, width: layer.width, view: snapshot.input, frame: snapshot.frameID)
        trackers[index] = tracker
        recentLayers.removeAll { $0 == index }
        recentLayers.append(index)
        while recentLayers.count > Self.keptLayers { trackers[recentLayers.removeFirst()] = nil }
    }

    private func key(_ layer: Int, _ channel: Int, _ p: PatchRecord) -> String { "\(layer):\(channel):\(p.image):\(p.y):\(p.x)" }

    /// Computes one missing backward image of `channel`'s patches; true if it did.
    private func computeOneBackward(_ layerIndex: Int, _ channel: Int) -> Bool {
        guard let tracker = trackers[layerIndex], channel < tracker.channels,
              let patch = tracker.patches(channel).first(where: { backward[key(layerIndex, channel, $0.record)] == nil }) else {
            return false
        }
        let info = pipeline.info
        var view = RGBImage(width: info.inputWidth, height: info.inputHeight, fill: (128, 128, 128))
        let box = patch.cropBox
        let full = patch.crop.width == box.width ? patch.crop : patch.crop.resized(width: box.width, height: box.height)
        for row in 0..<box.height where (0..<view.height).contains(box.y + row) {
            for col in 0..<box.width where (0..<view.width).contains(box.x + col) {
                let s = (row * box.width + col) * 3, d = ((box.y + row) * view.width + box.x + col) * 3
                view.pixels[d] = full.pixels[s]; view.pixels[d + 1] = full.pixels[s + 1]; view.pixels[d + 2] = full.pixels[s + 2]
            }
        }
        let session = session ?? Session(graph: pipeline.graph)
        self.session = session
        let layer = pipeline.layers[layerIndex]
        var record = patch.record
        record.box = patch.cropBox
        let image = (try? session.patchBackwardImage(view: view, info: info, layer: layer.valueID, channel: channel,
                                                     patch: record, mode: mode.mode))
            ?? RGBImage(width: 1, height: 1)
        if backward.count > 512 { backward.removeAll() }
        backward[key(layerIndex, channel, patch.record)] = TopPatchTracker.shrinkForDisplay(image, like: patch.crop)
        return true
    }

    private func publish(_ layerIndex: Int, _ controls: PipelineControls) {
        guard let tracker = trackers[layerIndex] else { return }
        lastPublish = uptimeNanoseconds()
        let patches = (0..<tracker.channels).map { tracker.patches($0) }
        let channel = controls.patchBackward && controls.selection.layerIndex == layerIndex ? controls.selection.channel : nil
        let images = channel.map { c in
            c < patches.count ? patches[c].compactMap { backward[key(layerIndex, c, $0.record)] } : []
        } ?? []
        pipeline.publish(TopPatchSnapshot(layerIndex: layerIndex, patches: patches, filledChannels: tracker.filledChannels,
                                          frames: tracker.frames, backwardChannel: channel, backward: images,
                                          backwardNote: mode.reason))
    }
}

extension TopPatchTracker {
    /// A backward image scaled to the size of the crop it belongs to.
    static func shrinkForDisplay(_ image: RGBImage, like crop: RGBImage) -> RGBImage {
        image.width == crop.width && image.height == crop.height ? image : image.resized(width: crop.width, height: crop.height)
    }
}
