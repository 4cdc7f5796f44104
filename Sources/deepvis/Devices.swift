import ArgumentParser
import Capture

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the cameras (V4L2 capture devices) and their modes.")

    func run() throws {
        let devices = V4L2Camera.listDevices()
        guard !devices.isEmpty else {
            print("no cameras found (no V4L2 capture device under /dev/video*); `deepvis live` will play the sample video")
            return
        }
        for device in devices { print(device) }
    }
}
