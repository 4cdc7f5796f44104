import Glibc
import Tensors
import Testing

/// Tensor storage: zeroed, aligned to a cache line at every size (each allocator path), and views at an offset share it.
@Suite struct TensorStorageTests {
    /// Element counts below the mapped size, from it up, and from a huge page up (with a tail of small pages).
    @Test(arguments: [1, 3, 1000, 16_383, 16_384, 100_000, 524_288, 600_001])
    func zeroedAndLineAligned(_ count: Int) {
        for _ in 0..<3 {
            let t = Tensor(shape: [count])
            #expect(Int(bitPattern: t.data) % 64 == 0, "\(count) floats at \(t.data)")
            #expect(t.array.allSatisfy { $0 == 0 })
            // Writable to the last element (a short mapping would fault here).
            t.fill(2)
            #expect(t[count - 1] == 2 && t[0] == 2)
        }
    }

    @Test func storageOfFreedTensorsIsZeroAgain() {
        for count in [1000, 100_000, 600_001] {
            var t: Tensor? = Tensor(shape: [count], repeating: 7)
            #expect(t?[count / 2] == 7)
            t = nil
            #expect(Tensor(shape: [count]).array.allSatisfy { $0 == 0 })
        }
    }

    @Test func viewsAtAnOffsetShareTheStorage() {
        let all = Tensor(shape: [40], values: (0..<40).map(Float.init))
        let view = Tensor(viewing: all, offset: 16, shape: [2, 3])
        #expect(view.data == all.data + 16)
        #expect(view.array == [16, 17, 18, 19, 20, 21])
        // A view of a view counts both offsets and keeps the owner, not the view, as its storage.
        let inner = Tensor(viewing: view, offset: 2, shape: [3])
        #expect(inner.array == [18, 19, 20])
        #expect(inner.storage === all)
        inner[0] = -1
        #expect(all[18] == -1)
    }
}
