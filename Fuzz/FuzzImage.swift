// libFuzzer target: still-image decoding (JPEG through TurboJPEG, PNG through libpng), strict and tolerant.
// Built and run by Scripts/fuzz image SECONDS; crashes found become fixtures under Tests/.
import Imaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let image = try? ImageCodec.decode(Array(bytes), source: "fuzz") {
        precondition(image.pixels.count == image.width * image.height * 3, "decoded pixel count disagrees with the size")
    }
    // The live path decodes webcam MJPEG with warnings tolerated: a second, more permissive route.
    if ImageFormat.detect(bytes) == .jpeg, let image = try? JPEGDecoder().decode(bytes, tolerateWarnings: true) {
        precondition(image.pixels.count == image.width * image.height * 3, "decoded pixel count disagrees with the size")
    }
    return 0
}
