import Foundation

/// What a model expects and means: input size and normalization, labels, layers worth showing.
///
/// Read from the manifest next to the model (`NAME.json` beside `NAME.onnx`, see Models/);
/// a model without one gets ImageNet-style defaults that the CLI flags can override.
public struct ModelInfo: Sendable {
    public var name: String
    public var inputWidth: Int
    public var inputHeight: Int
    /// Per-channel mean and std on the 0…255 scale: input = (pixel − mean) / std.
    public var mean: [Float]
    public var std: [Float]
    /// Resize the shorter side to this before centre-cropping to the input size (nil: resize straight to the crop).
    public var resizeShorter: Int?
    /// Class names by output index (may be empty).
    public var labels: [String]
    /// The layer the viewer opens on.
    public var defaultLayer: String?
    /// Layers worth listing first, in network order.
    public var layers: [String]
    /// Other names for layers (e.g. `blocks.0.project` is the value called `blocks.0`).
    public var aliases: [String: String] = [:]
    /// The manifest file this came from (other readers take their own sections from it, e.g. presets).
    public var manifestPath: String?

    /// Defaults for a model without a manifest: torchvision's ImageNet normalization.
    public init(name: String, inputWidth: Int, inputHeight: Int,
                mean: [Float] = [123.675, 116.28, 103.53], std: [Float] = [58.395, 57.12, 57.375],
                resizeShorter: Int? = nil, labels: [String] = [], defaultLayer: String? = nil, layers: [String] = []) {
        self.name = name; self.inputWidth = inputWidth; self.inputHeight = inputHeight
        self.mean = mean; self.std = std; self.resizeShorter = resizeShorter
        self.labels = labels; self.defaultLayer = defaultLayer; self.layers = layers
    }

    private struct Manifest: Decodable {
        struct Input: Decodable { let width: Int; let height: Int; let mean: [Float]; let std: [Float]; let resize_shorter: Int? }
        let name: String
        let input: Input
        let labels: String?
        let default_layer: String?
        let layers: [String]?
        let aliases: [String: String]?
    }

    /// Reads and validates a manifest; labels are resolved relative to its directory.
    public static func load(manifest path: String) throws -> ModelInfo {
        let url = URL(fileURLWithPath: path)
        let m: Manifest
        do { m = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url)) } catch let e as DecodingError {
            throw ManifestError(path: path, reason: "not a valid manifest (\(Self.describe(e)))")
        } catch {
            throw ManifestError(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        var labels: [String] = []
        if let file = m.labels {
            let text = try String(contentsOf: url.deletingLastPathComponent().appendingPathComponent(file), encoding: .utf8)
            labels = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if labels.last == "" { labels.removeLast() }
        }
        var info = ModelInfo(name: m.name, inputWidth: m.input.width, inputHeight: m.input.height, mean: m.input.mean,
                             std: m.input.std, resizeShorter: m.input.resize_shorter, labels: labels,
                             defaultLayer: m.default_layer, layers: m.layers ?? [])
        info.aliases = m.aliases ?? [:]
        if let reason = info.problem { throw ManifestError(path: path, reason: reason) }
        info.manifestPath = path
        return info
    }

    /// The largest input side accepted from a manifest.
    public static let maxInputSide = 16384

    /// What is wrong with these values, or nil: sizes, three finite means and three positive stds.
    public var problem: String? {
        let side = 1...Self.maxInputSide
        guard side.contains(inputWidth), side.contains(inputHeight) else {
            return "input size \(inputWidth)×\(inputHeight): width and height must be between 1 and \(Self.maxInputSide)"
        }
        if let r = resizeShorter, !(max(inputWidth, inputHeight)...Self.maxInputSide).contains(r) {
            return "resize_shorter \(r) must be at least the input size (\(max(inputWidth, inputHeight))) and at most \(Self.maxInputSide)"
        }
        guard mean.count == 3, mean.allSatisfy(\.isFinite) else { return "mean \(mean): needs three finite numbers (R, G, B)" }
        guard std.count == 3, std.allSatisfy({ $0.isFinite && $0 > 0 }) else { return "std \(std): needs three positive numbers (R, G, B)" }
        return nil
    }

    /// The first useful words of a JSON decoding error.
    private static func describe(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }
        switch e {
        case let .keyNotFound(key, c): return "missing '\(path(c).isEmpty ? "" : path(c) + ".")\(key.stringValue)'"
        case let .typeMismatch(_, c), let .valueNotFound(_, c): return "'\(path(c))': \(c.debugDescription)"
        case let .dataCorrupted(c): return c.debugDescription
        @unknown default: return "\(e)"
        }
    }

    /// The manifest beside a model file, or defaults sized from the graph's input.
    public static func forModel(at modelPath: String, graph: Graph) throws -> ModelInfo {
        let manifest = (modelPath as NSString).deletingPathExtension + ".json"
        if FileManager.default.fileExists(atPath: manifest) { return try load(manifest: manifest) }
        let shape = graph.values[graph.inputs[0]].shape
        let name = ((modelPath as NSString).lastPathComponent as NSString).deletingPathExtension
        return ModelInfo(name: name, inputWidth: shape.count == 4 ? shape[3] : 224, inputHeight: shape.count == 4 ? shape[2] : 224)
    }

    /// The graph value id of a layer name (or alias), with the list of valid names when unknown.
    public func layerID(_ name: String, in graph: Graph) throws -> Int {
        try graph.id(of: aliases[name] ?? name)
    }

    /// The label of class `k`, or "class k" when unknown.
    public func label(_ k: Int) -> String { k < labels.count ? labels[k] : "class \(k)" }
}

/// A manifest that cannot be used, with the file and the reason.
public struct ManifestError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Softmax probabilities and the k most probable classes of a logit vector.
public func topK(logits: [Float], k: Int) -> [(index: Int, probability: Float)] {
    guard let m = logits.max() else { return [] }
    let e = logits.map { Foundation.exp(Double($0 - m)) }
    let s = e.reduce(0, +)
    return e.indices.sorted { e[$0] > e[$1] }.prefix(k).map { ($0, Float(e[$0] / s)) }
}

/// A model that does not fit what a command needs (an image input, labels for its outputs).
public struct ModelContractError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

extension ModelInfo {
    /// Makes `graph` take one image of this manifest's size: its first input must be float [N, 3, H, W]
    /// (N is used as 1), and is re-planned to [1, 3, inputHeight, inputWidth]. Labels, when given,
    /// must number as many as the first output's classes.
    public func fitImageInput(_ graph: inout Graph) throws {
        guard let input = graph.inputs.first else { throw ModelContractError(reason: "the model has no input") }
        let v = graph.values[input], shape = v.shape
        guard shape.count == 4, shape[1] == 3 else {
            throw ModelContractError(reason: "the model's input '\(v.name)' has shape \(shape); this command needs an RGB image input [1, 3, H, W]")
        }
        let wanted = [1, 3, inputHeight, inputWidth]
        if shape != wanted {
            do { try graph.reshapeInputs([wanted] + graph.inputs.dropFirst().map { graph.values[$0].shape }) } catch {
                throw ModelContractError(reason: "the model does not run at input \(wanted) (from its manifest or input shape): \(error)")
            }
        }
        if !labels.isEmpty, let out = graph.outputs.first {
            let s = graph.values[out].shape
            let classes = s.count >= 2 ? s.dropFirst().reduce(1, *) : s.reduce(1, *)
            guard classes == labels.count else {
                throw ModelContractError(reason: "the manifest lists \(labels.count) labels but the model's output '\(graph.values[out].name)' has \(classes) classes (shape \(s))")
            }
        }
    }
}
