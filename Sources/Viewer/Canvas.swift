import CSDL2
import ViewerCore

/// Drawing primitives over the renderer: filled and outlined rectangles, text, texture copies.
final class Canvas {
    let renderer: OpaquePointer
    let text: TextRenderer

    init(renderer: OpaquePointer, text: TextRenderer) {
        self.renderer = renderer
        self.text = text
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND)
    }

    func clear(_ colour: Colour) {
        setColour(colour)
        SDL_RenderClear(renderer)
    }

    func fill(_ rect: Rect, _ colour: Colour) {
        guard !rect.isEmpty else { return }
        setColour(colour)
        var r = rect.sdl
        SDL_RenderFillRect(renderer, &r)
    }

    /// A `thickness`-pixel outline drawn just outside `rect`.
    func outline(_ rect: Rect, _ colour: Colour, thickness: Int = 1) {
        setColour(colour)
        for t in 1...max(thickness, 1) {
            var r = Rect(x: rect.x - t, y: rect.y - t, width: rect.width + 2 * t, height: rect.height + 2 * t).sdl
            SDL_RenderDrawRect(renderer, &r)
        }
    }

    func line(_ x1: Int, _ y1: Int, _ x2: Int, _ y2: Int, _ colour: Colour) {
        setColour(colour)
        SDL_RenderDrawLine(renderer, Int32(x1), Int32(y1), Int32(x2), Int32(y2))
    }

    /// Copies `source` of `texture` (nil: all) into `destination`, scaling.
    func copy(_ texture: OpaquePointer?, source: Rect?, to destination: Rect) {
        guard let texture, !destination.isEmpty else { return }
        var dst = destination.sdl
        if var src = source?.sdl {
            SDL_RenderCopy(renderer, texture, &src, &dst)
        } else {
            SDL_RenderCopy(renderer, texture, nil, &dst)
        }
    }

    /// Text vertically centred in `rect`, shortened with "…" to fit its width; `alignRight` puts it against the right edge.
    @discardableResult
    func label(_ full: String, in rect: Rect, face: FontFace = .sans, colour: Colour = Theme.text,
               alignRight: Bool = false) -> Int {
        let string = TextFit.elide(full, maxWidth: rect.width) { text.width(of: $0, face: face) }
        let y = rect.y + (rect.height - text.lineHeight) / 2
        let x = alignRight ? max(rect.maxX - text.width(of: string, face: face), rect.x) : rect.x
        return text.draw(string, x: x, y: y, face: face, colour: colour, maxWidth: rect.maxX - x)
    }

    private func setColour(_ c: Colour) {
        SDL_SetRenderDrawColor(renderer, c.r, c.g, c.b, c.a)
    }
}

extension Rect {
    var sdl: SDL_Rect { SDL_Rect(x: Int32(x), y: Int32(y), w: Int32(width), h: Int32(height)) }
}
