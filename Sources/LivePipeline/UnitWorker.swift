import Synchronization

/// What a selected-unit worker has produced so far, tagged with the unit it belongs to.
public struct UnitWork<Progress: Sendable>: Sendable {
    public var selection: UnitSelection
    public var progress: Progress
}

extension LivePipeline {
    /// Runs `job` on its own thread for the selected unit, restarting it whenever the selected layer or
    /// channel changes — the hook for the gradient-ascent optimizer. `job` must return soon after
    /// `isCancelled()` becomes true (checked at its step boundaries) and hands progress to `publish`.
    /// Returns the box the viewer reads; call before `start()`.
    public func addUnitWorker<Progress: Sendable>(
        name: String, niceness: Int32 = 10,
        job: @escaping @Sendable (_ selection: UnitSelection, _ isCancelled: @escaping @Sendable () -> Bool,
                                  _ publish: @escaping @Sendable (Progress) -> Void) -> Void
    ) -> LatestValue<UnitWork<Progress>> {
        let results = LatestValue<UnitWork<Progress>>()
        let wake = WakeUp()
        registerWake(wake)
        spawn(name) { [self] in
            lowerPriority(by: niceness)
            var done: UnitSelection?
            while !isStopping {
                let controls = controls
                let selection = controls.selection
                guard !controls.paused, done.map({ !sameUnit($0, selection) }) ?? true else {
                    wake.wait(seconds: 1)
                    continue
                }
                done = selection
                job(selection, { [self] in isStopping || !sameUnit(self.controls.selection, selection) }) {
                    results.publish(UnitWork(selection: selection, progress: $0))
                    self.notifyUI()
                }
            }
        }
        return results
    }

    private func sameUnit(_ a: UnitSelection, _ b: UnitSelection) -> Bool {
        a.layerIndex == b.layerIndex && a.channel == b.channel
    }
}
