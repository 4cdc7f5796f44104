import Foundation
import ViewerCore

/// A message a browser sent that the server refuses; the text goes back to that browser only.
struct ClientMessageError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Browser → server messages (JSON text), checked field by field before anything happens:
///
/// - `{"type":"key","key":"o"}` — a key of the window's key table (`KeyTable.standard`);
/// - `{"type":"select","layer":"blocks.15","unit":3}` — select a unit (the layer defaults to the current one);
/// - `{"type":"layer","layer":"blocks.3"}` — show another layer;
/// - `{"type":"history","position":5}` — show history entry 5 (`null`: follow the live image).
enum ClientMessage {
    /// Longest message accepted, in bytes (the WebSocket reader rejects longer ones before they are buffered).
    static let maxBytes = 1024

    /// Keys the browser cannot honour: the page itself stays open and saves no files on the server.
    static let refusedCommands: [ViewerCommand] = [.quit, .screenshot]

    /// The commands `text` asks for, given the layers (`names`, `channels`) and the browser's current layer.
    static func commands(from text: String, layers: [LayerInfo], currentLayer: Int) throws(ClientMessageError) -> [ViewerCommand] {
        guard text.utf8.count <= maxBytes else { throw ClientMessageError("message longer than \(maxBytes) bytes") }
        let message: Fields
        do {
            message = try JSONDecoder().decode(Fields.self, from: Data(text.utf8))
        } catch {
            throw ClientMessageError("malformed message: expected {\"type\": …} with fields of the right types")
        }
        switch message.type {
        case "key":
            guard let key = message.key, key.count <= 16 else { throw ClientMessageError("key: expected a key name") }
            guard let command = KeyTable.standard.command(forKey: key) else { throw ClientMessageError("unknown key '\(key)'") }
            guard !refusedCommands.contains(command) else { throw ClientMessageError("key '\(key)' only works in the window") }
            return [command]
        case "select":
            var commands: [ViewerCommand] = []
            var layer = currentLayer
            if let name = message.layer {
                layer = try layerIndex(name, layers)
                if layer != currentLayer { commands.append(.selectLayer(layer)) }
            }
            guard let unit = message.unit else { throw ClientMessageError("select: \"unit\" is missing") }
            guard layers.indices.contains(layer), (0..<layers[layer].channels).contains(unit) else {
                let name = layers.indices.contains(layer) ? layers[layer].name : "?"
                let n = layers.indices.contains(layer) ? layers[layer].channels : 0
                throw ClientMessageError("unknown unit \(unit) of layer \(name) (0…\(n - 1))")
            }
            return commands + [.selectUnit(unit)]
        case "layer":
            guard let name = message.layer else { throw ClientMessageError("layer: \"layer\" is missing") }
            return [.selectLayer(try layerIndex(name, layers))]
        case "history":
            guard let position = message.position else { return [.setHistoryPosition(nil)] }
            guard position >= 0 else { throw ClientMessageError("history: \"position\" must be ≥ 0 or null") }
            return [.setHistoryPosition(position)]
        default:
            throw ClientMessageError("unknown message type '\(message.type.prefix(32))'")
        }
    }

    /// Every field any message may have; JSONDecoder refuses wrong types (3.5 or true for an integer).
    private struct Fields: Decodable {
        var type: String
        var key: String?
        var layer: String?
        var unit: Int?
        var position: Int?
    }

    private static func layerIndex(_ name: String, _ layers: [LayerInfo]) throws(ClientMessageError) -> Int {
        guard let index = layers.firstIndex(where: { $0.name == name }) else {
            throw ClientMessageError("unknown layer '\(name.prefix(64))'")
        }
        return index
    }
}
