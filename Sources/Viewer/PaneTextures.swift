import CSDL2

/// The streaming textures the panes draw from: one per pane, not one per tile.
final class PaneTextures {
    let input: StreamingTexture
    /// All channels of the current layer in one atlas; tiles and the zoomed map are copies out of it.
    let mosaic: StreamingTexture
    let backward: StreamingTexture
    let optimization: StreamingTexture
    /// The top patches composed into one 3×3 atlas.
    let patches: StreamingTexture

    init(renderer: OpaquePointer) {
        input = StreamingTexture(renderer: renderer)
        mosaic = StreamingTexture(renderer: renderer)
        backward = StreamingTexture(renderer: renderer)
        optimization = StreamingTexture(renderer: renderer)
        patches = StreamingTexture(renderer: renderer)
    }
}
