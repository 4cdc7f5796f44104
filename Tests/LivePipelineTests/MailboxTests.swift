import Dispatch
import LivePipeline
import Synchronization
import Testing

struct MailboxTests {
    @Test func newestFrameWinsAndStaleOnesAreCounted() {
        let box = FrameMailbox<Int>()
        box.put(1)
        box.put(2)
        box.put(3)
        #expect(box.take() == 3)
        #expect(box.take() == nil)
        #expect(box.droppedCount == 2 && box.deliveredCount == 1)
    }

    @Test func aFullQueuePushesOutItsOldestFrame() {
        let box = FrameMailbox<Int>(capacity: 2)
        box.put(1)
        box.put(2)
        #expect(box.droppedCount == 0)
        box.put(3)
        #expect(box.take() == 2)
        box.put(4)
        #expect(box.take() == 3)
        #expect(box.take() == 4)
        #expect(box.take() == nil)
        #expect(box.droppedCount == 1 && box.deliveredCount == 3)
        box.put(5)
        box.put(6)
        #expect(box.discardAll() == 2 && !box.hasItem && box.droppedCount == 1)
    }

    @Test func staleFramesAreSkippedWhileANewerOneWaits() {
        let box = FrameMailbox<Int>(capacity: 3)
        for i in 1...3 { box.put(i) }
        // 1 and 2 are stale while 3 waits: both are dropped.
        #expect(box.take { $0 < 3 } == 3)
        #expect(box.droppedCount == 2)
        box.put(4)
        // The only frame is taken however old.
        #expect(box.take { _ in true } == 4)
        for i in 5...7 { box.put(i) }
        #expect(box.take { $0 < 6 } == 6)
        #expect(box.take { $0 < 6 } == 7)
        #expect(box.droppedCount == 3 && box.deliveredCount == 4)
    }

    @Test func losslessPutWaitsUntilTheSlotIsTaken() {
        let box = FrameMailbox<Int>()
        box.put(1, lossless: true)
        let secondStored = Atomic<Bool>(false)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.put(2, lossless: true)
            secondStored.store(true, ordering: .relaxed)
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.3) == .timedOut)
        let stored = secondStored.load(ordering: .relaxed)
        #expect(!stored)
        #expect(box.take() == 1)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(box.take() == 2)
        #expect(box.droppedCount == 0)
    }

    @Test func closeReleasesABlockedProducer() {
        let box = FrameMailbox<Int>()
        box.put(1, lossless: true)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            #expect(!box.put(2, lossless: true))
            done.signal()
        }
        box.close()
        #expect(done.wait(timeout: .now() + 5) == .success)
    }

    @Test func latestValueCountsVersions() {
        let box = LatestValue<String>()
        #expect(box.versioned.version == 0 && box.value == nil)
        box.publish("a")
        box.publish("b")
        #expect(box.versioned.value == "b" && box.versioned.version == 2)
    }

    @Test func ratesAndPercentiles() {
        let meter = RateMeter(window: 10)
        for i in 0..<11 { meter.tick(at: UInt64(i) * 100_000_000) }
        #expect(abs(meter.rate(at: 1_000_000_000) - 10) < 1e-9)
        #expect(meter.count == 11)
        let latency = LatencyRecorder(capacity: 100)
        for ms in 1...100 { latency.record(milliseconds: Double(ms)) }
        #expect(latency.percentile(50) == 50 && latency.percentile(90) == 90)
        for _ in 0..<100 { latency.record(milliseconds: 7) }
        #expect(latency.percentile(90) == 7)
    }
}
