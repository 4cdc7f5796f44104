import Foundation
import Imaging
import NeuralNetwork
import Tensors

/// The result of an atlas's data pass: each unit's top patches, the names of the images searched,
/// the network views the top lists still refer to, and the images that could not be read.
public struct AtlasDataPass {
    var top: TopActivations
    var views: [Int: RGBImage] = [:]
    /// The images searched, in order, unreadable ones included (a patch's `image` indexes this).
    public internal(set) var names: [String] = []
    /// Unreadable images by index: "name: reason".
    var skippedAt: [Int: String] = [:]
    /// The index in the whole image list of the n-th image pulled (nil: n itself).
    var indices: [Int]?

    init(top: TopActivations, indices: [Int]? = nil) { self.top = top; self.indices = indices }

    /// Images skipped because they could not be decoded: "name: reason", in order.
    public var skipped: [String] { skippedAt.keys.sorted().map { skippedAt[$0]! } }

    /// The strongest activation found for each unit (nil if none), for summaries and benchmarks.
    public var strongest: [Float?] { top.best.map { $0.first?.activation } }

    private var nextIndex: Int { indices.map { $0[names.count] } ?? names.count }

    mutating func add(name: String, view: RGBImage, output: Tensor) {
        let index = nextIndex
        top.add(output, image: index)
        views[index] = view
        names.append(name)
        let keep = top.referencedImages
        views = views.filter { keep.contains($0.key) }
    }

    mutating func skip(_ name: String, reason: String) {
        skippedAt[nextIndex] = "\(name): \(reason)"
        names.append(name)
    }
}

/// Decodes and resizes the atlas's images on a thread of its own, up to `depth` images ahead of
/// the thread that runs the network, so JPEG decoding overlaps the forward pass.
final class ImagePrefetcher: @unchecked Sendable {
    enum Item {
        case view(name: String, view: RGBImage)
        case skipped(name: String, reason: String)
        case failed(any Error)
        case end
    }

    // Touched only by the producer thread after `init`.
    private let images: AtlasImages
    private let prepare: (RGBImage) -> RGBImage
    private let depth: Int
    // Shared state, guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var cancelled = false
    private var finished = false

    init(images: AtlasImages, depth: Int = 4, prepare: @escaping (RGBImage) -> RGBImage) {
        self.images = images
        self.prepare = prepare
        self.depth = max(1, depth)
        let thread = Thread { [self] in produce() }
        thread.name = "atlas-decoder"
        thread.start()
    }

    /// The next image (blocks until the decoder has it).
    func next() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let item = queue.removeFirst()
        condition.broadcast()
        return item
    }

    /// Stops the decoder after its current image and waits for it to exit.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Pulls and prepares one image; per-image problems become `.skipped`.
    static func decode(_ images: AtlasImages, prepare: (RGBImage) -> RGBImage) -> Item {
        do {
            guard let (name, image) = try images.next() else { return .end }
            return .view(name: name, view: prepare(image))
        } catch let AtlasError.unreadableImage(name, reason) {
            return .skipped(name: name, reason: reason)
        } catch {
            return .failed(error)
        }
    }

    private func produce() {
        var done = false
        while !done {
            let item = Self.decode(images, prepare: prepare)
            if case .failed = item { done = true }
            if case .end = item { done = true }
            condition.lock()
            while queue.count >= depth && !cancelled { condition.wait() }
            if cancelled { done = true } else { queue.append(item) }
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}

extension AtlasBuilder {
    /// The data pass: one forward pass per image up to the layer, with decoding and resizing on a
    /// second thread one step ahead; unreadable images are skipped and listed, never fatal.
    public func dataPass(units: [Int], images: AtlasImages) throws -> AtlasDataPass {
        try dataPass(units: units, images: images, indices: nil)
    }

    /// `indices`: where in the whole image list each image pulled from `images` stands (a part of a split pass).
    func dataPass(units: [Int], images: AtlasImages, indices: [Int]?) throws -> AtlasDataPass {
        var pass = AtlasDataPass(top: TopActivations(units: units, k: patches, field: field,
                                                     imageWidth: info.inputWidth, imageHeight: info.inputHeight), indices: indices)
        let info = self.info
        let decoder = decodeAhead > 0 ? ImagePrefetcher(images: images, depth: decodeAhead) { info.networkView(of: $0) } : nil
        defer { decoder?.cancel() }
        loop: while true {
            switch decoder?.next() ?? ImagePrefetcher.decode(images, prepare: info.networkView(of:)) {
            case let .view(name, view):
                info.fill(session.input, from: view)
                session.forward(upTo: layerID)
                pass.add(name: name, view: view, output: session.values[layerID])
            case let .skipped(name, reason):
                log("warning: skipped \(name): \(reason)")
                pass.skip(name, reason: reason)
            case let .failed(error): throw error
            case .end: break loop
            }
        }
        guard !pass.names.isEmpty || indices != nil else { throw AtlasError.noImages(images.description) }
        return pass
    }
}
