/// What can go wrong reading, decoding or writing an image; each case reads as a sentence for the user.
public enum ImagingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read or written (permissions, a directory, disk full…).
    case io(path: String, reason: String)
    /// The bytes start with neither the JPEG nor the PNG signature.
    case notAnImage(source: String)
    /// The codec rejected the data (truncated or corrupt); `reason` is the codec's own message.
    case corrupt(source: String, format: ImageFormat, reason: String)
    /// Encoding failed inside the codec.
    case encodeFailed(format: ImageFormat, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "\(path): no such file"
        case .io(let path, let reason): return "\(path): \(reason)"
        case .notAnImage(let source): return "\(source): not a JPEG or PNG image"
        case .corrupt(let source, let format, let reason):
            return "\(source): corrupt or truncated \(format.rawValue.uppercased()) image (\(reason))"
        case .encodeFailed(let format, let reason): return "could not encode \(format.rawValue.uppercased()): \(reason)"
        }
    }
}

/// The still-image formats `Imaging` reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png

    /// Recognizes a format from the first bytes of the data (never from a file name).
    public static func detect<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        return nil
    }
}
