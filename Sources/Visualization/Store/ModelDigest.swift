import Foundation

/// The sha256 of a model file, the store's guard against serving another model's images.
public enum ModelDigest {
    /// Hex sha256 of the file at `path`, computed by coreutils' `sha256sum` (no hashing code of our own).
    public static func sha256(ofFile path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", "--", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw UnitImageStoreError(description: "cannot run sha256sum for '\(path)': \(error.localizedDescription)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let hex = String(decoding: output.prefix(64), as: UTF8.self)
        guard process.terminationStatus == 0, hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
            throw UnitImageStoreError(description: "cannot compute the sha256 of '\(path)'")
        }
        return hex
    }
}
