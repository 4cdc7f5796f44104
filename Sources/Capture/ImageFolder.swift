import Foundation
import Imaging

/// JPEG and PNG files shown one after another, each for `interval` seconds, looping; or one image.
public final class ImageFolder: FrameSource, @unchecked Sendable {
    public let path: String
    /// The images in display order (natural sort: "img2" before "img10").
    public let files: [String]
    /// Seconds each image stays before the next one is delivered.
    public let interval: Double
    public let loops: Bool

    private var position = 0
    private var frameIndex = 0
    private var clockStart: Double?
    private var isClosed = false
    private var cache: (file: String, image: RGBImage)?
    /// Files that failed to decode since the last good one; a whole pass of them means nothing here is readable.
    private var failuresInARow = 0

    /// A folder of images (sorted, by extension .jpg/.jpeg/.png; contents are still sniffed) or a single image file.
    public init(path: String, interval: Double = 3, loop: Bool = true) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CaptureError.fileNotFound(path: path)
        }
        if isDirectory.boolValue {
            let names = try listDirectory(path).filter { name in
                let lower = name.lowercased()
                return !name.hasPrefix(".") && [".jpg", ".jpeg", ".png"].contains { lower.hasSuffix($0) }
            }
            files = names.sorted { $0.compare($1, options: [.numeric, .caseInsensitive]) == .orderedAscending }
                .map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
            guard !files.isEmpty else { throw CaptureError.noImages(path: path) }
        } else {
            files = [path]
        }
        self.path = path
        self.interval = interval
        self.loops = loop
        if files.count == 1 { _ = try loadImage(files[0]) }  // a bad single image fails at open, like a bad video
    }

    public var description: String {
        files.count == 1 ? files[0] : "\(path) (\(files.count) images, \(formatRate(interval)) s each)"
    }

    /// The next image when its turn comes; nil after the last one unless looping.
    /// A file that fails to decode throws `.image(…)` and is skipped by the following call (at once: a bad
    /// file takes no time slot); when every file has failed in a row, `.noReadableImages` ends the stream.
    public func next(timeout: Double) throws -> Frame? {
        guard !isClosed else { throw CaptureError.closed(source: path) }
        if position >= files.count {
            guard loops else { return nil }
            position = 0
        }
        let due = Double(frameIndex) * interval
        let now = monotonicSeconds()
        if clockStart == nil { clockStart = now }
        let wait = clockStart! + due - now
        if wait > timeout {
            sleep(seconds: timeout)
            throw CaptureError.timedOut(source: path, seconds: timeout)
        }
        sleep(seconds: wait)
        let file = files[position]
        position += 1
        let image: RGBImage
        do {
            image = try loadImage(file)
        } catch let error as CaptureError {
            failuresInARow += 1
            guard failuresInARow < files.count else {
                throw CaptureError.noReadableImages(path: path, example: error.description)
            }
            throw error
        }
        failuresInARow = 0
        defer { frameIndex += 1 }
        return Frame(image: image, timestamp: due, index: frameIndex)
    }

    public func close() {
        isClosed = true
        cache = nil
    }

    private func loadImage(_ file: String) throws -> RGBImage {
        if let cache, cache.file == file { return cache.image }
        do {
            let image = try RGBImage(contentsOfFile: file)
            cache = (file, image)
            return image
        } catch let error as ImagingError {
            throw CaptureError.image(error)
        }
    }
}
