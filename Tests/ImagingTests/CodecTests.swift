import Foundation
import Imaging
import Testing
import TestSupport

@Suite struct CodecTests {
    @Test func detectsFormatsByMagicBytes() {
        #expect(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageFormat.detect(Array("GIF89a".utf8)) == nil)
        #expect(ImageFormat.detect([UInt8]()) == nil)
    }

    @Test func pngRoundTripIsExact() throws {
        var image = RGBImage(width: 37, height: 19)
        for i in image.pixels.indices { image.pixels[i] = UInt8(truncatingIfNeeded: i &* 7919 >> 3) }
        let decoded = try RGBImage(decoding: image.pngData())
        #expect(decoded == image)
    }

    @Test func jpegRoundTripIsClose() throws {
        let photo = try PillowReference.image("chelsea.png")
        let decoded = try RGBImage(decoding: photo.jpegData(quality: 95))
        #expect(decoded.width == photo.width && decoded.height == photo.height)
        let diff = ByteDifference(decoded.pixels, photo.pixels)
        #expect(diff.mean < 3, "\(diff)")
    }

    @Test(arguments: PillowReference.photos)
    func jpegDecodeMatchesPillow(photo: String) throws {
        let dir = try PillowReference.directory()
        let ours = try RGBImage(contentsOfFile: "\(dir)/\(photo).jpg")
        let pillow = try PillowReference.image("\(photo)_jpg_decoded.png")
        #expect(ours.width == pillow.width && ours.height == pillow.height)
        let diff = ByteDifference(ours.pixels, pillow.pixels)
        #expect(diff.max <= 1, "\(photo): \(diff)")
    }

    @Test(arguments: ["palette", "gray", "rgba", "graya", "bilevel"])
    func pngFlavoursDecodeLikePillow(flavour: String) throws {
        let ours = try PillowReference.image("png_\(flavour).png")
        let pillow = try PillowReference.image("png_\(flavour)_rgb.png")
        #expect(ours == pillow, "\(flavour): \(ByteDifference(ours.pixels, pillow.pixels))")
    }

    /// 16-bit and interlaced PNGs made by ImageMagick from an 8-bit original decode back to it.
    @Test(arguments: [["-depth", "16", "png48:"], ["-interlace", "PNG", "png24:"], ["-depth", "16", "-type", "Grayscale", "png:"]])
    func imageMagickPNGVariants(options: [String]) throws {
        let dir = try PillowReference.directory()
        let convert = try ExternalTools.require("convert", install: "apt-get install imagemagick")
        let output = "\(dir)/variant-\(options.joined().filter(\.isLetter)).png"
        let source = "\(dir)/png_gray_rgb.png"
        let original = try RGBImage(contentsOfFile: source)
        try ExternalTools.run(convert, [source] + options.dropLast() + [options.last! + output])
        let decoded = try RGBImage(contentsOfFile: output)
        #expect(decoded == original, "\(options): \(ByteDifference(decoded.pixels, original.pixels))")
    }

    @Test func missingFileIsReported() {
        #expect(throws: ImagingError.fileNotFound(path: "/nonexistent/x.png")) {
            try RGBImage(contentsOfFile: "/nonexistent/x.png")
        }
    }

    @Test func textFileIsNotAnImage() throws {
        let dir = try ExternalTools.temporaryDirectory()
        let path = dir + "/renamed.jpg"
        try Data("hello, not a picture\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ImagingError.self) { try RGBImage(contentsOfFile: path) }
        #expect(error == .notAnImage(source: path))
        #expect(error?.description == "\(path): not a JPEG or PNG image")
        try Data().write(to: URL(fileURLWithPath: dir + "/empty.png"))
        #expect(throws: ImagingError.notAnImage(source: dir + "/empty.png")) { try RGBImage(contentsOfFile: dir + "/empty.png") }
    }

    @Test(arguments: [ImageFormat.jpeg, .png])
    func truncatedFilesGiveTheCodecsMessage(format: ImageFormat) throws {
        let photo = try PillowReference.image("coffee.png")
        let bytes = try ImageCodec.encode(photo, as: format)
        let truncated = Array(bytes.prefix(bytes.count / 2))
        let error = #expect(throws: ImagingError.self) { try ImageCodec.decode(truncated, source: "half") }
        guard case .corrupt(let source, let detected, let reason)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(source == "half" && detected == format && !reason.isEmpty)
        if format == .jpeg { #expect(reason.contains("Premature end")) }
    }

    @Test func garbageAfterSignatureIsCorrupt() {
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF] + Array(repeating: 0x42, count: 500)
        #expect(throws: ImagingError.self) { try ImageCodec.decode(bytes) }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)
        #expect(throws: ImagingError.self) { try ImageCodec.decode(png) }
    }

    @Test func writePNGAtomicallyLeavesNoTemporaryFiles() throws {
        let dir = try ExternalTools.temporaryDirectory()
        let image = RGBImage(width: 8, height: 4, fill: (200, 100, 50))
        try image.writePNG(to: dir + "/out.png")
        try RGBImage(width: 2, height: 2).writePNG(to: dir + "/out.png")  // replaces the first
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.png"])
        #expect(try RGBImage(contentsOfFile: dir + "/out.png") == RGBImage(width: 2, height: 2))
        #expect(throws: ImagingError.self) { try image.writePNG(to: dir + "/no/such/dir/out.png") }
        try image.writeJPEG(to: dir + "/out.jpg", atomically: false)
        #expect(ImageFormat.detect(try FileBytes.read(path: dir + "/out.jpg")) == .jpeg)
    }

    @Test func directoryIsAnIOError() throws {
        let dir = try ExternalTools.temporaryDirectory()
        #expect(throws: ImagingError.io(path: dir, reason: "is a directory")) { try RGBImage(contentsOfFile: dir) }
    }
}
