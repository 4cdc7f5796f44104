import Imaging
import Tensors

/// One of a unit's strongest responses over the data set.
public struct PatchRecord: Sendable, Equatable, Codable {
    /// The unit's activation there.
    public var activation: Float
    /// Index into the atlas's image names.
    public var image: Int
    /// The unit's position in the layer.
    public var y: Int
    public var x: Int
    /// Its receptive field in the network's input view (may extend past the image; the outside is gray).
    public var box: PixelBox
}

/// Keeps, per unit, the `k` images on which the unit responds most, each with its strongest position.
///
/// One patch per image (as the deep visualization toolbox's max-activation search does): k crops
/// of one image are mostly the same object, k images show what the unit has in common across them.
struct TopActivations {
    let units: [Int]
    let k: Int
    /// Images closer than this in index compete for one slot (a stream's neighbouring frames show the same scene):
    /// the stronger stays. 0: every image has its own slot (the atlas over a data set).
    var minimumImageGap = 0
    let field: ReceptiveField
    let imageWidth: Int, imageHeight: Int
    var best: [[PatchRecord]]

    init(units: [Int], k: Int, field: ReceptiveField, imageWidth: Int, imageHeight: Int) {
        self.units = units; self.k = k; self.field = field
        self.imageWidth = imageWidth; self.imageHeight = imageHeight
        best = Array(repeating: [], count: units.count)
    }

    /// Considers image `index`, given the layer's output [1, C, H, W] for it.
    mutating func add(_ output: Tensor, image index: Int) {
        let h = output.shape[2], w = output.shape[3], plane = h * w
        for (slot, unit) in units.enumerated() {
            // The first maximum in raster order: ties resolve the same way on every run and shard.
            var top = -Float.infinity, at = 0
            let base = unit * plane
            for i in 0..<plane where output[base + i] > top { top = output[base + i]; at = i }
            guard top.isFinite else { continue }
            var list = best[slot]
            if list.count == k, let last = list.last, !(top > last.activation) { continue }
            if minimumImageGap > 0, let near = list.firstIndex(where: { abs($0.image - index) < minimumImageGap }) {
                guard top > list[near].activation else { continue }
                list.remove(at: near)
            }
            let (y, x) = (at / w, at % w)
            let record = PatchRecord(activation: top, image: index, y: y, x: x,
                                     box: field.box(y: y, x: x, imageWidth: imageWidth, imageHeight: imageHeight))
            // Images arrive in order, so among equal activations the earlier image stays ahead.
            let position = list.firstIndex { top > $0.activation } ?? list.count
            list.insert(record, at: position)
            if list.count > k { list.removeLast() }
            best[slot] = list
        }
    }

    /// The images some unit still refers to.
    var referencedImages: Set<Int> { Set(best.joined().map(\.image)) }
}

extension RGBImage {
    /// The pixels of `box`; parts outside the image are `fill`.
    func crop(_ box: PixelBox, fill: UInt8 = 128) -> RGBImage {
        var out = RGBImage(width: box.width, height: box.height, fill: (fill, fill, fill))
        for row in 0..<box.height {
            let sy = box.y + row
            guard sy >= 0 && sy < height else { continue }
            for col in 0..<box.width {
                let sx = box.x + col
                guard sx >= 0 && sx < width else { continue }
                let s = (sy * width + sx) * 3, d = (row * box.width + col) * 3
                out.pixels[d] = pixels[s]; out.pixels[d + 1] = pixels[s + 1]; out.pixels[d + 2] = pixels[s + 2]
            }
        }
        return out
    }
}

/// The planar [3, H, W] values inside `box`; zero outside the image.
func cropPlanes(_ values: [Float], width: Int, height: Int, box: PixelBox) -> [Float] {
    var out = [Float](repeating: 0, count: 3 * box.width * box.height)
    for c in 0..<3 {
        for row in 0..<box.height where (0..<height).contains(box.y + row) {
            for col in 0..<box.width where (0..<width).contains(box.x + col) {
                out[(c * box.height + row) * box.width + col] = values[(c * height + box.y + row) * width + box.x + col]
            }
        }
    }
    return out
}
