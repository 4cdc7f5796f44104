import Synchronization

/// Splits independent loop iterations over a fixed number of worker threads.
public enum Parallel {
    private static let threadCount = Atomic<Int>(1)
    /// One pool per thread count, made on first use and kept for the life of the process.
    private static let pools = Mutex<[Int: SpinPool]>([:])

    private static func pool(_ threads: Int) -> SpinPool {
        pools.withLock { p in
            if let existing = p[threads] { return existing }
            let made = SpinPool(helpers: threads - 1)
            p[threads] = made
            return made
        }
    }

    /// How many threads `forEach` uses (1 = run inline). OpenBLAS itself is kept single-threaded:
    /// `BLAS.tiledGemm` spreads matrix products over these same threads.
    public static var threads: Int {
        get { threadCount.load(ordering: .relaxed) }
        set {
            threadCount.store(max(1, newValue), ordering: .relaxed)
            BLAS.threads = 1
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
        let ran = pool(threads).run(count: t) { chunk in body(count * chunk / t ..< count * (chunk + 1) / t, chunk) }
        if !ran { body(0..<count, 0) }
    }

    /// Calls `body(i)` for i in 0..<count, in contiguous chunks over `threads` threads.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let t = min(threads, count)
        if t <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        let ran = pool(threads).run(count: t) { chunk in
            for i in count * chunk / t ..< count * (chunk + 1) / t { body(i) }
        }
        if !ran { for i in 0..<count { body(i) } }
    }
}
