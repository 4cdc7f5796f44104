import NeuralNetwork
import Tensors

/// A unit of a layer: a channel, optionally one spatial position of it.
public struct UnitAddress: Sendable, Equatable, CustomStringConvertible {
    public var channel: Int
    /// (y, x); nil means the whole channel, weighted by its activations.
    public var position: (y: Int, x: Int)?

    public init(channel: Int, position: (y: Int, x: Int)? = nil) { self.channel = channel; self.position = position }

    /// Parses "C" or "C,Y,X".
    public init?(_ text: String) {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        switch parts.count {
        case 1: self.init(channel: parts[0]!)
        case 3: self.init(channel: parts[0]!, position: (parts[1]!, parts[2]!))
        default: return nil
        }
    }

    /// The backward seed for this unit.
    public var seed: Seed {
        if let p = position { return .unit(channel: channel, y: p.y, x: p.x) }
        return .channelActivations(channel)
    }

    public var description: String {
        position.map { "\(channel),\($0.y),\($0.x)" } ?? "\(channel)"
    }

    public static func == (a: UnitAddress, b: UnitAddress) -> Bool {
        a.channel == b.channel && a.position?.y == b.position?.y && a.position?.x == b.position?.x
    }
}

extension Session {
    /// Runs the graph up to `layer` and returns d(unit)/d(input) as planar floats (the backward image).
    public func backwardImage(layer: Int, unit: UnitAddress, mode: BackwardMode) throws -> [Float] {
        forward(upTo: layer)
        return try backward(from: layer, seed: unit.seed, mode: mode).array
    }

    /// The channels of `layer` ordered by their strongest activation, strongest first (after a forward pass).
    public func mostActiveChannels(layer: Int, count: Int) -> [(channel: Int, max: Float)] {
        let v = values[layer]
        let c = v.shape.count >= 2 ? v.shape[1] : v.count
        let per = v.count / max(c, 1)
        let maxima = (0..<c).map { ch in (0..<per).reduce(-Float.infinity) { Swift.max($0, v[ch * per + $1]) } }
        return maxima.indices.sorted { maxima[$0] > maxima[$1] }.prefix(count).map { ($0, maxima[$0]) }
    }
}
