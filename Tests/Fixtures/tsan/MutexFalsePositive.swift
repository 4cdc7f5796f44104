// Why Tests/Fixtures/tsan/suppressions.txt exists: a reproducer, not part of any target.
//
//   swiftc -sanitize=thread -g Tests/Fixtures/tsan/MutexFalsePositive.swift -o /tmp/mfp && /tmp/mfp
//
// prints "WARNING: ThreadSanitizer: Swift access race" (Swift 6.3.1, Linux x86_64) although every access is inside
// `withLock`. On Linux, Synchronization.Mutex takes and releases a contended lock with FUTEX_LOCK_PI /
// FUTEX_UNLOCK_PI system calls (stdlib/public/SwiftShims/swift/shims/_SynchronizationShims.h); the kernel hands
// the lock to the waiter, so ThreadSanitizer never sees the release→acquire edge. Uncontended, the atomic fast
// path is visible and nothing is reported — the false report needs contention (the usleep inside the lock).
import Foundation
import Synchronization

final class Meter: Sendable {
    let times = Mutex<[UInt64]>([])
    func tick(_ v: UInt64) { times.withLock { $0.append(v); usleep(50); if $0.count > 10 { $0.removeFirst() } } }
    func read() -> Int { times.withLock { t in usleep(50); return t.filter { $0 > 3 }.count } }
}

let meter = Meter()
let writer = Thread { for i in 0..<3000 { meter.tick(UInt64(i)) } }
writer.start()
var total = 0
for _ in 0..<3000 { total += meter.read() }
Thread.sleep(forTimeInterval: 0.5)
print("done \(total)")
