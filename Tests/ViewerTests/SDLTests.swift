import Testing

/// Parent of every suite that touches SDL: SDL's state and event queue are global, so these must never
/// run in parallel with each other (nested suites inherit `.serialized`).
@Suite(.serialized)
enum SDLTests {}
