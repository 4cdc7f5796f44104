import CSDL2

/// Translates SDL key codes to the SDL-independent key names of `KeyTable`.
enum KeyNames {
    private static let named: [SDL_Keycode: String] = [
        SDL_Keycode(SDLK_SPACE.rawValue): "space",
        SDL_Keycode(SDLK_ESCAPE.rawValue): "escape",
        SDL_Keycode(SDLK_RETURN.rawValue): "return",
        SDL_Keycode(SDLK_TAB.rawValue): "tab",
        SDL_Keycode(SDLK_LEFT.rawValue): "left",
        SDL_Keycode(SDLK_RIGHT.rawValue): "right",
        SDL_Keycode(SDLK_UP.rawValue): "up",
        SDL_Keycode(SDLK_DOWN.rawValue): "down",
        SDL_Keycode(SDLK_HOME.rawValue): "home",
        SDL_Keycode(SDLK_END.rawValue): "end",
    ]

    /// The key name for `code`: a named key, or the printable ASCII character itself.
    static func name(for code: SDL_Keycode) -> String? {
        if let name = named[code] { return name }
        // SDL keycodes of printable keys are their (lower-case) ASCII codes.
        guard code > 32, code < 127, let scalar = Unicode.Scalar(UInt32(code)) else { return nil }
        return String(Character(scalar)).lowercased()
    }

    /// The SDL key code for a key name (inverse of `name(for:)`), used to inject key presses.
    static func code(for name: String) -> SDL_Keycode? {
        if let hit = named.first(where: { $0.value == name.lowercased() }) { return hit.key }
        guard name.count == 1, let ascii = name.lowercased().unicodeScalars.first?.value, ascii > 32, ascii < 127 else {
            return nil
        }
        return SDL_Keycode(ascii)
    }
}
