import Dispatch
import Synchronization

/// Splits independent loop iterations over a fixed number of worker threads.
public enum Parallel {
    private static let threadCount = Atomic<Int>(1)

    /// How many threads `forEach` uses (1 = run inline). Also applied to OpenBLAS.
    public static var threads: Int {
        get { threadCount.load(ordering: .relaxed) }
        set {
            threadCount.store(max(1, newValue), ordering: .relaxed)
            BLAS.threads = max(1, newValue)
        }
    }

    /// Calls `body(range, chunk)` for up to `maxChunks` contiguous ranges covering 0..<count, one per thread;
    /// `chunk` (0-based) lets the body use per-thread scratch memory.
    @inline(__always)
    public static func forChunks(_ count: Int, maxChunks: Int, _ body: (Range<Int>, Int) -> Void) {
        let t = max(1, min(threads, count, maxChunks))
        if t == 1 {
            body(0..<count, 0)
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: t) { chunk in
                box.value(count * chunk / t ..< count * (chunk + 1) / t, chunk)
            }
        }
    }

    /// Calls `body(i)` for i in 0..<count, in contiguous chunks over `threads` threads.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let t = min(threads, count)
        if t <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: t) { chunk in
                let lo = count * chunk / t, hi = count * (chunk + 1) / t
                for i in lo..<hi { box.value(i) }
            }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`; safe because the callers' bodies
/// write disjoint output ranges.
private struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
