import CSDL2
import Imaging

/// One streaming ARGB texture, recreated only when the image size changes; each pane owns one.
final class StreamingTexture {
    private let renderer: OpaquePointer
    private(set) var texture: OpaquePointer?
    private(set) var width = 0
    private(set) var height = 0
    private var staging: [UInt32] = []
    /// Identifies what was last uploaded, so unchanged content is not uploaded again.
    var contentKey: [Int] = []

    init(renderer: OpaquePointer) {
        self.renderer = renderer
    }

    private func ensure(width: Int, height: Int) {
        guard texture == nil || width != self.width || height != self.height else { return }
        if let texture { SDL_DestroyTexture(texture) }
        texture = SDL_CreateTexture(renderer, SDL_PIXELFORMAT_ARGB8888.rawValue,
                                    Int32(SDL_TEXTUREACCESS_STREAMING.rawValue), Int32(width), Int32(height))
        self.width = width
        self.height = height
        staging = [UInt32](repeating: 0, count: width * height)
    }

    /// Uploads `gray` (`width × height` levels) as a gray image.
    func upload(gray: [UInt8], width: Int, height: Int) {
        guard width > 0, height > 0 else { return }
        ensure(width: width, height: height)
        for i in 0..<(width * height) {
            let g = UInt32(gray[i])
            staging[i] = 0xFF00_0000 | g << 16 | g << 8 | g
        }
        commit()
    }

    /// Uploads an RGB image.
    func upload(_ image: RGBImage) {
        guard image.width > 0, image.height > 0 else { return }
        ensure(width: image.width, height: image.height)
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<(image.width * image.height) {
                staging[i] = 0xFF00_0000 | UInt32(p[3 * i]) << 16 | UInt32(p[3 * i + 1]) << 8 | UInt32(p[3 * i + 2])
            }
        }
        commit()
    }

    private func commit() {
        guard let texture else { return }
        _ = staging.withUnsafeBytes { SDL_UpdateTexture(texture, nil, $0.baseAddress, Int32(width * 4)) }
    }

    deinit {
        if let texture { SDL_DestroyTexture(texture) }
    }
}
