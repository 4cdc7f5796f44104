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

    @Test func cropBoxesStayInsideTheImage() {
        let tracker = TopPatchTracker(channels: 1, field: .identity, imageWidth: 10, imageHeight: 8)
        #expect(tracker.clipped(PixelBox(x: -5, y: 2, width: 20, height: 3)) == PixelBox(x: 0, y: 2, width: 10, height: 3))
        #expect(tracker.clipped(PixelBox(x: 3, y: -4, width: 2, height: 30)) == PixelBox(x: 3, y: 0, width: 2, height: 8))
    }
}
