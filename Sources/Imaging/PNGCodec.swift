import CPNG

/// PNG through libpng's simplified API, which reports errors in `png_image.message` instead of
/// `longjmp`ing out of the caller (Swift cannot survive a longjmp across its frames).
public enum PNGCodec {
    /// Decodes any PNG (palette, gray, 16-bit, with or without alpha) to RGB8; alpha is dropped,
    /// not composited, as Pillow's `convert("RGB")` does.
    public static func decode(_ bytes: UnsafeRawBufferPointer, source: String = "PNG data") throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard let base = bytes.baseAddress,
              png_image_begin_read_from_memory(&image, base, bytes.count) != 0 else {
            throw ImagingError.corrupt(source: source, format: .png, reason: message(of: image, or: "no data"))
        }
        let w = Int(image.width), h = Int(image.height)
        guard w > 0, h > 0, w * h <= ImageLimits.maxPixels else {
            throw ImagingError.corrupt(source: source, format: .png, reason: "implausible size \(w)x\(h)")
        }
        // RGBA then drop A: asking libpng for RGB would composite onto black instead.
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        var rgba = [UInt8](repeating: 0, count: w * h * 4)
        let ok = rgba.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else {
            throw ImagingError.corrupt(source: source, format: .png, reason: message(of: image, or: "decode failed"))
        }
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        rgba.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(w * h) {
                    dst[3 * i] = src[4 * i]; dst[3 * i + 1] = src[4 * i + 1]; dst[3 * i + 2] = src[4 * i + 2]
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: rgb)
    }

    /// Encodes RGB8 to PNG bytes (8-bit RGB, libpng's default compression).
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        precondition(image.width > 0 && image.height > 0, "cannot encode an empty image")
        var descriptor = png_image()
        descriptor.version = UInt32(PNG_IMAGE_VERSION)
        descriptor.width = UInt32(image.width)
        descriptor.height = UInt32(image.height)
        descriptor.format = UInt32(PNG_FORMAT_FLAG_COLOR)
        // First guess: raw size plus deflate's stored-block overhead; libpng tells us if it needs more.
        var capacity = image.pixels.count + image.height + image.pixels.count / 100 + 4096
        for _ in 0..<2 {
            var written = capacity
            var out = [UInt8](repeating: 0, count: capacity)
            let ok = out.withUnsafeMutableBytes { dst in
                image.pixels.withUnsafeBytes { src in
                    png_image_write_to_memory(&descriptor, dst.baseAddress, &written, 0, src.baseAddress, 0, nil)
                }
            }
            if ok != 0 { out.removeSubrange(written...); return out }
            guard written > capacity else { break }
            capacity = written
        }
        throw ImagingError.encodeFailed(format: .png, reason: message(of: descriptor, or: "libpng write failed"))
    }

    private static func message(of image: png_image, or fallback: String) -> String {
        let text = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? fallback : text
    }
}
