import Capture
import Synchronization

/// The capture thread's body: reads the current source into the frame mailbox, newest frame wins.
///
/// Faults never stop the pipeline: a camera that disappears is retried every `retryInterval` seconds
/// (the forward thread keeps the last frame meanwhile), a video that ends or breaks is restarted or
/// reported as ended, and the user can always cycle to another source.
final class CaptureLoop: @unchecked Sendable {
    private let pipeline: LivePipeline
    /// Owned by the capture thread only.
    private var source: FrameSource?
    private var sourceIndex = -1
    private var retryAt: UInt64 = 0
    private var ended = false
    private var nextID = 1

    init(pipeline: LivePipeline) {
        self.pipeline = pipeline
    }

    func run() {
        let wake = pipeline.captureWake
        while !pipeline.isStopping {
            let controls = pipeline.controls
            if controls.sourceIndex != sourceIndex { switchSource(to: controls.sourceIndex) }
            if controls.paused || ended {
                wake.wait(seconds: 1)
                continue
            }
            guard let source else {
                let now = uptimeNanoseconds()
                if now < retryAt { wake.wait(seconds: Double(retryAt - now) / 1e9); continue }
                reopen()
                continue
            }
            step(source)
        }
        source?.close()
    }

    private var spec: LiveSource { pipeline.sources[sourceIndex] }

    private func switchSource(to index: Int) {
        source?.close()
        source = nil
        sourceIndex = index
        ended = false
        retryAt = 0
        report(.opening, "")
    }

    private func reopen() {
        do {
            source = try spec.open()
            report(.running, spec.note)
        } catch {
            let text = (error as? CaptureError)?.description ?? "\(error)"
            if spec.reconnects {
                retryAt = uptimeNanoseconds() + UInt64(pipeline.configuration.retryInterval * 1e9)
                report(.reconnecting, "\(text) — retrying every \(formatSeconds(pipeline.configuration.retryInterval))")
            } else {
                ended = true
                report(.ended, text + " — press c for another source")
            }
        }
    }

    /// Reads one frame (or handles one fault) from an open source.
    private func step(_ source: FrameSource) {
        do {
            guard let frame = try source.next(timeout: 0.25) else { return endOfStream() }
            let captureTime = uptimeNanoseconds()
            let stamped = StampedFrame(frame: frame, captureTime: captureTime, id: nextID,
                                       view: pipeline.info.networkView(of: frame.image))
            nextID += 1
            pipeline.captureRate.tick()
            pipeline.frames.put(stamped, lossless: pipeline.configuration.lossless)
            if pipeline.sourceStatus.phase != .running { report(.running, spec.note) }
        } catch let error as CaptureError {
            fault(error)
        } catch {
            fault(.deviceFailed(path: spec.name, operation: "read", reason: "\(error)"))
        }
    }

    private func endOfStream() {
        source?.close()
        source = nil
        ended = true
        report(.ended, "end of the video — showing the last frame (use --loop to repeat; c switches source)")
    }

    private func fault(_ error: CaptureError) {
        switch error {
        case .timedOut:
            return
        case .image:
            // One unreadable picture in a folder: say so and move on to the next.
            report(.running, error.description)
        default:
            source?.close()
            source = nil
            if spec.reconnects {
                retryAt = uptimeNanoseconds() + UInt64(pipeline.configuration.retryInterval * 1e9)
                report(.reconnecting, "\(error.description) — showing the last frame")
            } else if spec.restartsAfterFault {
                report(.opening, error.description + " — restarting")
            } else {
                ended = true
                report(.ended, error.description + " — stopped")
            }
        }
    }

    private func report(_ phase: SourceStatus.Phase, _ message: String) {
        let description = source.map { "\(spec.name) \($0.description)" } ?? spec.name
        pipeline.publishStatus(SourceStatus(phase: phase, source: description, message: message))
    }
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
}
