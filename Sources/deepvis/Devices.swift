import ArgumentParser
import Capture
import Foundation
import Imaging

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the cameras (V4L2 capture devices) and their modes, or check one by reading frames from it.",
        discussion: """
        --check DEVICE opens the camera as `live` does (same negotiation), prints the mode it got and one line \
        per frame (index, timestamp), and with --out writes the frames as DIR/frame-0000.png … (no model needed).
        """)

    @Option(help: "Open this camera, e.g. /dev/video0, and read --frames frames from it.") var check: String?
    @Option(help: "With --check: frames to read (1…1000).") var frames = 5
    @Option(help: "With --check: write the frames as PNG files into this folder.") var out: String?
    @Option(help: "With --check: size to ask for, WIDTHxHEIGHT (the camera may grant another).") var size = "640x480"
    @Option(help: "With --check: frame rate to ask for (1…1000).") var fps: Double = 30
    @Option(help: "With --check: seconds to wait for each frame (0.1…60).") var timeout: Double = 5

    func validate() throws {
        guard check != nil else {
            if out != nil { throw ValidationError("--out applies to --check DEVICE") }
            return
        }
        if !(1...1000).contains(frames) { throw ValidationError("--frames must be 1…1000") }
        if requestedSize == nil { throw ValidationError("--size '\(size)': expected WIDTHxHEIGHT within 1…8192, e.g. 640x480") }
        if !(1...1000).contains(fps) { throw ValidationError("--fps must be 1…1000") }
        if !(0.1...60).contains(timeout) { throw ValidationError("--timeout must be 0.1…60 seconds") }
    }

    private var requestedSize: (width: Int, height: Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (1...8192).contains(parts[0]), (1...8192).contains(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        if let check { return runCheck(check) }
        let devices = V4L2Camera.listDevices()
        guard !devices.isEmpty else {
            print("no cameras found (no V4L2 capture device under /dev/video*); `deepvis live` will play the sample video")
            return
        }
        for device in devices { print(device) }
    }

    /// Opens one camera, reads `frames` frames and reports them; any fault ends the command with its message.
    private func runCheck(_ path: String) {
        let (width, height) = requestedSize!
        do {
            if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
            let camera = try V4L2Camera(path: path, width: width, height: height, fps: fps)
            defer { camera.close() }
            print(camera.description)
            for k in 0..<frames {
                guard let frame = try camera.next(timeout: timeout) else { fail("\(path): the stream ended after \(k) frames") }
                print("frame \(frame.index) t=\(String(format: "%.3f", frame.timestamp)) s \(frame.image.width)x\(frame.image.height)")
                if let out { try frame.image.writePNG(to: out + "/" + String(format: "frame-%04d.png", k)) }
            }
        } catch let error as CaptureError {
            fail(error.description)
        } catch {
            fail("\(path): \(error)")
        }
    }
}
