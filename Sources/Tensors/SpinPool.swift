import Foundation
import Synchronization

/// Worker threads that wait for work by spinning briefly before they sleep.
///
/// Why not `DispatchQueue.concurrentPerform`: an op on a 14×14 map takes 50–150 µs, about the time a
/// sleeping Dispatch worker needs to wake up, so most of the second core's share was lost. These
/// workers spin for ~100 µs after each job (long enough to catch the next op of a forward pass) and
/// then sleep on a semaphore, so an idle program uses no CPU.
final class SpinPool: @unchecked Sendable {
    /// Helper threads; the calling thread runs chunk 0 itself.
    let helpers: Int
    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// One per helper: a shared semaphore could hand one helper's wake-up to another, leaving it asleep.
    private let slots: [WorkerSlot]
    /// The current job, published before `generation` is bumped (seq-cst) and read after it is seen.
    private var job: ((Int) -> Void)?
    private var chunks = 0

    init(helpers: Int) {
        self.helpers = helpers
        slots = (0..<helpers).map { _ in WorkerSlot() }
        for w in 0..<helpers {
            let t = Thread { [unowned self] in self.workerLoop(index: w + 1, slot: self.slots[w]) }
            t.name = "deepvis-worker-\(w + 1)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    /// Runs `body(chunk)` for chunk in 0..<count (count ≤ helpers + 1); returns false, doing nothing,
    /// when another thread is using the pool (the caller then runs the chunks itself).
    func run(count: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        withoutActuallyEscaping(body) { body in
            job = body
            chunks = count
            remaining.store(helpers, ordering: .sequentiallyConsistent)
            generation.add(1, ordering: .sequentiallyConsistent)
            for slot in slots where slot.sleeping.load(ordering: .sequentiallyConsistent) { slot.wake.signal() }
            body(0)
            while remaining.load(ordering: .acquiring) > 0 {}
            job = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    private func workerLoop(index: Int, slot: WorkerSlot) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .sequentiallyConsistent) == seen {
                spins += 1
                if spins > 200_000 {
                    // Announce, then re-check: the dispatcher bumps the generation before it reads the flag,
                    // so either this check sees the new job or the dispatcher sees the flag and signals.
                    slot.sleeping.store(true, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen { slot.wake.wait() }
                    slot.sleeping.store(false, ordering: .sequentiallyConsistent)
                    spins = 0
                }
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            if index < chunks, let job { job(index) }
            remaining.subtract(1, ordering: .releasing)
        }
    }
}

/// A helper's sleep flag and its own wake-up semaphore.
private final class WorkerSlot: Sendable {
    let sleeping = Atomic<Bool>(false)
    let wake = DispatchSemaphore(value: 0)
}
