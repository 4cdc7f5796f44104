import Imaging
import Testing
import Visualization

/// The stream's top-k search: neighbouring frames compete for one slot; crops are cut to the image.
@Suite struct TopPatchTrackerTests {
    @Test func framesCloserThanTheGapShareASlot() {
        var tracker = TopPatchTracker(channels: 1, k: 9, field: .identity, imageWidth: 4, imageHeight: 4, minimumFrameGap: 3)
        let view = RGBImage(width: 4, height: 4, fill: (10, 20, 30))
        for (frame, value) in [1, 5, 3, 2, 9, 4, 1, 1, 8, 2].enumerated() {
            tracker.add([Float(value)], height: 1, width: 1, view: view, frame: frame)
        }
        // Worked by hand: 5 replaces 1 (frames 0, 1), 9 opens a slot at frame 4, 1 at frame 7, 8 replaces it (frame 8).
        #expect(tracker.patches(0).map(\.record.image) == [4, 8, 1])
        #expect(tracker.patches(0).map(\.record.activation) == [9, 8, 5])
        #expect(tracker.frames == 10 && tracker.filledChannels == 0)
    }

    /// Channels whose patches come from the same frame and box share one cut; each must still be its own box's pixels.
    @Test func everyCropIsItsBoxOfItsFrame() {
        // A 3×3 map over a 12×12 view; each unit sees 8×8 pixels from 4·i − 2, so edge boxes clip and overlap.
        let field = ReceptiveField(rows: .init(stride: 4, low: -2, high: 5), columns: .init(stride: 4, low: -2, high: 5), isGlobal: false)
        var tracker = TopPatchTracker(channels: 4, k: 2, field: field, imageWidth: 12, imageHeight: 12, maxSide: 48)
        var views: [RGBImage] = []
        for frame in 0..<3 {
            var view = RGBImage(width: 12, height: 12)
            for i in view.pixels.indices { view.pixels[i] = UInt8((i * 7 + frame * 50) % 256) }
            views.append(view)
            // Channels 0 and 1 peak at the same unit (one box), 2 elsewhere, 3 at a unit whose box clips to the same
            // pixels as channel 0's only in frame order; the peak moves with the frame.
            var maps = [Float](repeating: 0, count: 4 * 9)
            maps[0 * 9 + frame] = 5; maps[1 * 9 + frame] = 4; maps[2 * 9 + 8 - frame] = 3; maps[3 * 9 + 4] = Float(frame + 1)
            tracker.add(maps, height: 3, width: 3, view: view, frame: frame)
        }
        for c in 0..<4 {
            let patches = tracker.patches(c)
            #expect(patches.count == 2)
            for p in patches {
                let b = p.cropBox, v = views[p.record.image]
                var expected: [UInt8] = []
                for y in b.y..<(b.y + b.height) { for x in b.x..<(b.x + b.width) { for k in 0..<3 { expected.append(v.pixels[(y * 12 + x) * 3 + k]) } } }
                #expect(p.crop.width == b.width && p.crop.height == b.height && p.crop.pixels == expected,
                        "channel \(c), frame \(p.record.image), box \(b)")
            }
        }
    }

    @Test func cropBoxesStayInsideTheImage() {
        let tracker = TopPatchTracker(channels: 1, field: .identity, imageWidth: 10, imageHeight: 8)
        #expect(tracker.clipped(PixelBox(x: -5, y: 2, width: 20, height: 3)) == PixelBox(x: 0, y: 2, width: 10, height: 3))
        #expect(tracker.clipped(PixelBox(x: 3, y: -4, width: 2, height: 30)) == PixelBox(x: 3, y: 0, width: 2, height: 8))
    }
}
