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

    /// Reads a manifest; labels are resolved relative to its directory.
    public static func load(manifest path: String) throws -> ModelInfo {
        let url = URL(fileURLWithPath: path)
        let m = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url))
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
        info.manifestPath = path
        return info
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

/// Softmax probabilities and the k most probable classes of a logit vector.
public func topK(logits: [Float], k: Int) -> [(index: Int, probability: Float)] {
    guard let m = logits.max() else { return [] }
    let e = logits.map { Foundation.exp(Double($0 - m)) }
    let s = e.reduce(0, +)
    return e.indices.sorted { e[$0] > e[$1] }.prefix(k).map { ($0, Float(e[$0] / s)) }
}
