import Foundation

/// Format-sniffing decode and encode of still images (JPEG via TurboJPEG, PNG via libpng).
public enum ImageCodec {
    /// Decodes JPEG or PNG bytes, recognized by their signature; `source` names them in errors.
    public static func decode(_ bytes: some ContiguousBytes, source: String = "image data") throws -> RGBImage {
        try bytes.withUnsafeBytes { raw in
            switch ImageFormat.detect(raw) {
            case .jpeg: return try JPEGDecoder().decode(raw, source: source)
            case .png: return try PNGCodec.decode(raw, source: source)
            case nil: throw ImagingError.notAnImage(source: source)
            }
        }
    }

    /// Reads and decodes an image file; the content decides the format, not the extension.
    public static func read(path: String) throws -> RGBImage {
        try decode(FileBytes.read(path: path), source: path)
    }

    /// Encodes to the given format (`quality` applies to JPEG only).
    public static func encode(_ image: RGBImage, as format: ImageFormat, quality: Int = 90) throws -> [UInt8] {
        switch format {
        case .jpeg: return try JPEGEncoder.encode(image, quality: quality)
        case .png: return try PNGCodec.encode(image)
        }
    }
}

extension RGBImage {
    /// Reads a JPEG or PNG file.
    public init(contentsOfFile path: String) throws {
        self = try ImageCodec.read(path: path)
    }

    /// Decodes JPEG or PNG bytes.
    public init(decoding bytes: some ContiguousBytes, source: String = "image data") throws {
        self = try ImageCodec.decode(bytes, source: source)
    }

    /// PNG-encoded bytes of this image.
    public func pngData() throws -> [UInt8] { try PNGCodec.encode(self) }

    /// JPEG-encoded bytes of this image at `quality` 1…100.
    public func jpegData(quality: Int = 90) throws -> [UInt8] { try JPEGEncoder.encode(self, quality: quality) }

    /// Writes a PNG file; atomically (temp file + rename in the same directory) unless told otherwise.
    public func writePNG(to path: String, atomically: Bool = true) throws {
        let bytes = try pngData()
        try atomically ? FileBytes.writeAtomically(bytes, to: path) : FileBytes.write(bytes, to: path)
    }

    /// Writes a JPEG file; atomically unless told otherwise.
    public func writeJPEG(to path: String, quality: Int = 90, atomically: Bool = true) throws {
        let bytes = try jpegData(quality: quality)
        try atomically ? FileBytes.writeAtomically(bytes, to: path) : FileBytes.write(bytes, to: path)
    }
}
