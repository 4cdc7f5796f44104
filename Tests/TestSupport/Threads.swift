import Tensors

/// Runs `body(threads)` with `Parallel.threads` set to each count in turn, then sets it back to 1 (also when `body`
/// throws), so that a kernel is checked on one thread and split over several.
public func withThreads(_ counts: [Int] = [1, 2], _ body: (Int) throws -> Void) rethrows {
    defer { Parallel.threads = 1 }
    for threads in counts {
        Parallel.threads = threads
        try body(threads)
    }
}
