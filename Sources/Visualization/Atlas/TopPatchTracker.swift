import Imaging
import NeuralNetwork
import Tensors

/// One of a channel's strongest responses in a stream of frames, with the crop of its receptive field.
public struct TopPatch: Sendable, Equatable {
    /// Activation, position and receptive-field box; `record.image` is the frame's id.
    public var record: PatchRecord
    /// The part of the receptive field inside the input view (deep layers' fields reach far past the image, and
    /// the atlas's gray surround would leave the picture a speck once shrunk).
    public var cropBox: PixelBox
    /// The input view inside `cropBox`, scaled down to at most `TopPatchTracker.maxSide` pixels a side.
    public var crop: RGBImage
}

/// The `k` strongest activations per channel of one layer over a stream of frames (`deepvis atlas`'s search, one
/// patch per frame, kept as it goes). Memory is bounded: it keeps at most `k` small crops per channel, never frames.
public struct TopPatchTracker: Sendable {
    public let channels: Int
    public let k: Int
    /// Largest side of a kept crop, in pixels.
    public let maxSide: Int
    public let field: ReceptiveField
    public let imageWidth: Int, imageHeight: Int
    private var top: TopActivations
    private var crops: [[RGBImage]]
    /// Frames considered so far.
    public private(set) var frames = 0

    /// A tracker for a layer of `channels` channels whose units see `field` of a `imageWidth`×`imageHeight` input view.
    /// Frames closer than `minimumFrameGap` compete for one slot, so the 9 patches are not 9 neighbouring frames.
    public init(channels: Int, k: Int = 9, field: ReceptiveField, imageWidth: Int, imageHeight: Int, maxSide: Int = 48,
                minimumFrameGap: Int = 0) {
        self.channels = channels
        self.k = k
        self.maxSide = maxSide
        self.field = field
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        top = TopActivations(units: Array(0..<channels), k: k, field: field, imageWidth: imageWidth, imageHeight: imageHeight)
        top.minimumImageGap = minimumFrameGap
        crops = Array(repeating: [], count: channels)
    }

    /// Considers one frame: the layer's output (C×H×W) on `view`, the network's input view of frame `frame`.
    public mutating func add(_ activations: [Float], height: Int, width: Int, view: RGBImage, frame: Int) {
        precondition(activations.count == channels * height * width, "TopPatchTracker: \(activations.count) values for \(channels)x\(height)x\(width)")
        let before = top.best
        top.add(Tensor(shape: [1, channels, height, width], values: activations), image: frame)
        frames += 1
        // This frame's crops by box: many channels take a patch from the same frame, and in deep layers, whose fields
        // cover the whole view, every box clips to the same one (the live top-patch thread had spent most of its time
        // cutting and shrinking the same 224×224 crop for channel after channel).
        var made: [PixelBox: RGBImage] = [:]
        for c in 0..<channels where top.best[c] != before[c] {
            // Records kept from before keep their crops (one record per frame, so the frame id identifies it).
            var old: [Int: RGBImage] = [:]
            for (record, crop) in zip(before[c], crops[c]) { old[record.image] = crop }
            crops[c] = top.best[c].map { record in
                if let kept = old[record.image] { return kept }
                let box = clipped(record.box)
                if let crop = made[box] { return crop }
                let crop = Self.shrink(view.cropped(x: box.x, y: box.y, width: box.width, height: box.height), to: maxSide)
                made[box] = crop
                return crop
            }
        }
    }

    /// Channel `channel`'s patches, strongest first.
    public func patches(_ channel: Int) -> [TopPatch] {
        zip(top.best[channel], crops[channel]).map { TopPatch(record: $0, cropBox: clipped($0.box), crop: $1) }
    }

    /// `box` cut to the input view (never empty: at least the pixel nearest to it).
    public func clipped(_ box: PixelBox) -> PixelBox {
        let x0 = min(max(box.x, 0), imageWidth - 1), y0 = min(max(box.y, 0), imageHeight - 1)
        let x1 = max(min(box.x + box.width, imageWidth), x0 + 1), y1 = max(min(box.y + box.height, imageHeight), y0 + 1)
        return PixelBox(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// Channels whose `k` slots are all filled.
    public var filledChannels: Int { top.best.reduce(0) { $0 + ($1.count == k ? 1 : 0) } }

    /// `image` scaled so its longer side is at most `side` (unchanged if it already is).
    static func shrink(_ image: RGBImage, to side: Int) -> RGBImage {
        let longer = max(image.width, image.height)
        guard longer > side else { return image }
        return image.resized(width: max(1, image.width * side / longer), height: max(1, image.height * side / longer))
    }
}

extension Session {
    /// The backward image (`mode`) of unit `channel` at the patch's position, cropped to its box and rendered as the
    /// atlas renders it; `view` is the input view the patch was found on (or a stand-in with the patch pasted in).
    public func patchBackwardImage(view: RGBImage, info: ModelInfo, layer: Int, channel: Int, patch: PatchRecord,
                                   mode: BackwardMode) throws -> RGBImage {
        info.fill(input, from: view)
        let g = try backwardImage(layer: layer, unit: UnitAddress(channel: channel, position: (patch.y, patch.x)), mode: mode)
        let crop = cropPlanes(g, width: view.width, height: view.height, box: patch.box)
        return GradientRendering.raw.render(crop, width: patch.box.width, height: patch.box.height)
    }
}
