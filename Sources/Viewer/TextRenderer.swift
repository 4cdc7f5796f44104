import CSDL2

/// Which typeface to draw with.
enum FontFace: Hashable {
    case sans, mono, sansBold
}

/// Draws UTF-8 text with SDL2_ttf, caching one texture per (string, face, colour).
///
/// Most strings (labels, captions, layer names) repeat from frame to frame, so after the first frame
/// drawing text is a texture copy; entries unused for `evictAfterFrames` frames are freed.
final class TextRenderer {
    private struct Key: Hashable {
        let text: String
        let face: FontFace
        let colour: Colour
    }
    private struct Entry {
        let texture: OpaquePointer
        let width: Int
        let height: Int
        var lastUsed: Int
    }

    private let renderer: OpaquePointer
    private var fonts: [FontFace: OpaquePointer] = [:]
    private var cache: [Key: Entry] = [:]
    private var frame = 0
    private let evictAfterFrames = 120
    /// Height of one text line in pixels.
    let lineHeight: Int

    init(renderer: OpaquePointer, fonts paths: [FontFace: String], pointSize: Int) throws(ViewerError) {
        self.renderer = renderer
        if TTF_WasInit() == 0, TTF_Init() != 0 { throw .sdl(ViewerError.sdlMessage()) }
        for (face, path) in paths {
            guard let font = TTF_OpenFont(path, Int32(pointSize)) else {
                fonts.values.forEach { TTF_CloseFont($0) }
                throw .fontMissing(path)
            }
            if face == .sansBold { TTF_SetFontStyle(font, TTF_STYLE_BOLD) }
            fonts[face] = font
        }
        lineHeight = Int(TTF_FontLineSkip(fonts[.sans] ?? fonts.values.first!))
    }

    /// Draws `text` with its top-left at (`x`, `y`), clipped to `maxWidth` pixels; returns the width drawn.
    @discardableResult
    func draw(_ text: String, x: Int, y: Int, face: FontFace = .sans, colour: Colour = Theme.text,
              maxWidth: Int = .max) -> Int {
        guard !text.isEmpty, maxWidth > 0, let entry = entry(text, face, colour) else { return 0 }
        let w = min(entry.width, maxWidth)
        var src = SDL_Rect(x: 0, y: 0, w: Int32(w), h: Int32(entry.height))
        var dst = SDL_Rect(x: Int32(x), y: Int32(y), w: Int32(w), h: Int32(entry.height))
        SDL_RenderCopy(renderer, entry.texture, &src, &dst)
        return w
    }

    /// Width in pixels `text` would take.
    func width(of text: String, face: FontFace = .sans) -> Int {
        guard !text.isEmpty, let font = fonts[face] else { return 0 }
        var w: Int32 = 0, h: Int32 = 0
        TTF_SizeUTF8(font, text, &w, &h)
        return Int(w)
    }

    private func entry(_ text: String, _ face: FontFace, _ colour: Colour) -> Entry? {
        let key = Key(text: text, face: face, colour: colour)
        if var hit = cache[key] {
            hit.lastUsed = frame
            cache[key] = hit
            return hit
        }
        guard let font = fonts[face], let surface = TTF_RenderUTF8_Blended(font, text, colour.sdl) else { return nil }
        defer { SDL_FreeSurface(surface) }
        guard let texture = SDL_CreateTextureFromSurface(renderer, surface) else { return nil }
        let entry = Entry(texture: texture, width: Int(surface.pointee.w), height: Int(surface.pointee.h), lastUsed: frame)
        cache[key] = entry
        return entry
    }

    /// Call once per drawn frame: frees text not drawn recently (e.g. old fps figures).
    func endFrame() {
        frame += 1
        guard frame % 30 == 0 else { return }
        for (key, entry) in cache where frame - entry.lastUsed > evictAfterFrames {
            SDL_DestroyTexture(entry.texture)
            cache[key] = nil
        }
    }

    /// Number of cached strings (for tests of the cache).
    var cachedCount: Int { cache.count }

    deinit {
        cache.values.forEach { SDL_DestroyTexture($0.texture) }
        fonts.values.forEach { TTF_CloseFont($0) }
    }
}
