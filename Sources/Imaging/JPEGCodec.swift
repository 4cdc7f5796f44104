import CTurboJPEG

/// Decodes JPEG with TurboJPEG's `tj*` API; one instance owns one decompressor handle and is reused
/// frame after frame (a webcam's MJPEG stream). Not thread-safe: use one per thread.
///
/// Why TurboJPEG and not jpeglib: jpeglib's default error handler calls `exit()` on corrupt data
/// and Swift cannot `setjmp`; TurboJPEG returns an error code and a message instead.
public final class JPEGDecoder {
    private let handle: tjhandle

    /// Creates a decompressor; traps only if TurboJPEG cannot allocate its few-kilobyte state.
    public init() {
        guard let h = tjInitDecompress() else { preconditionFailure("tjInitDecompress failed: out of memory") }
        handle = h
    }

    deinit { tjDestroy(handle) }

    /// Decodes JPEG bytes to RGB8. With `tolerateWarnings`, recoverable damage (e.g. extraneous bytes
    /// before a marker, common in webcam MJPEG) still yields an image; without it, any warning,
    /// including a truncated file, throws `ImagingError.corrupt`.
    public func decode(_ bytes: UnsafeRawBufferPointer, source: String = "JPEG data",
                       tolerateWarnings: Bool = false) throws -> RGBImage {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else {
            throw ImagingError.corrupt(source: source, format: .jpeg, reason: "no data")
        }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        if tjDecompressHeader3(handle, base, UInt(bytes.count), &width, &height, &subsampling, &colorspace) != 0 {
            throw ImagingError.corrupt(source: source, format: .jpeg, reason: lastError)
        }
        let w = Int(width), h = Int(height)
        guard w > 0, h > 0, w * h <= ImageLimits.maxPixels else {
            throw ImagingError.corrupt(source: source, format: .jpeg, reason: "implausible size \(w)x\(h)")
        }
        let flags = tolerateWarnings ? 0 : TJFLAG_STOPONWARNING
        var failure: String?
        let pixels = [UInt8](unsafeUninitializedCapacity: w * h * 3) { buffer, count in
            let status = tjDecompress2(handle, base, UInt(bytes.count), buffer.baseAddress, width, 0, height,
                                       Int32(TJPF_RGB.rawValue), flags)
            if status != 0 && !(tolerateWarnings && tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)) {
                failure = lastError
                buffer.initialize(repeating: 0)  // the array must be fully initialized even when discarded
            }
            count = w * h * 3
        }
        if let failure { throw ImagingError.corrupt(source: source, format: .jpeg, reason: failure) }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    private var lastError: String { String(cString: tjGetErrorStr2(handle)) }
}

/// Encodes RGB8 images to baseline JPEG with TurboJPEG.
public enum JPEGEncoder {
    /// JPEG bytes at `quality` 1…100 with 4:2:0 chroma subsampling (what cameras and browsers expect).
    public static func encode(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        precondition((1...100).contains(quality), "JPEG quality \(quality) outside 1...100")
        precondition(image.width > 0 && image.height > 0, "cannot encode an empty image")
        guard let handle = tjInitCompress() else { preconditionFailure("tjInitCompress failed: out of memory") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        defer { if let output { tjFree(output) } }
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                        &output, &size, Int32(TJSAMP_420.rawValue), Int32(quality), 0)
        }
        guard status == 0, let output else {
            throw ImagingError.encodeFailed(format: .jpeg, reason: String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}

/// Sanity limits that keep a hostile header from asking for gigabytes (stills and video frames alike).
public enum ImageLimits {
    /// 100 megapixels: far beyond any camera frame or photo this project handles.
    public static let maxPixels = 100_000_000
    /// 256 MiB: the largest image file read into memory.
    public static let maxFileBytes = 256 << 20
}
