import NeuralNetwork

/// Where in the input image one spatial unit of a layer can look, found analytically from the graph.
///
/// Along each axis a unit at index i sees input rows `stride·i + low … stride·i + high` (inclusive,
/// before clipping to the image). This does not depend on the input, unlike the support of a
/// gradient image, which ReLU masks shrink.
public struct ReceptiveField: Sendable, Equatable, Codable {
    /// One axis: input index range `stride·i + low … stride·i + high`.
    public struct Axis: Sendable, Equatable, Codable {
        public var stride: Int
        public var low: Int
        public var high: Int

        public init(stride: Int, low: Int, high: Int) { self.stride = stride; self.low = low; self.high = high }
        /// The number of input rows one unit sees (before clipping).
        public var size: Int { high - low + 1 }

        /// Through a sliding window of `kernel` taps with `stride`, `padHead` and `dilation`.
        func through(kernel: Int, stride s: Int, padHead p: Int, dilation d: Int) -> Axis {
            Axis(stride: stride * s, low: low - stride * p, high: high + stride * (d * (kernel - 1) - p))
        }

        func union(_ o: Axis) -> Axis? {
            stride == o.stride ? Axis(stride: stride, low: min(low, o.low), high: max(high, o.high)) : nil
        }
    }

    public var rows: Axis
    public var columns: Axis
    /// True when a unit sees the whole image (after global pooling or a fully connected layer).
    public var isGlobal: Bool

    /// A field with these axes (`isGlobal`: every unit sees the whole image).
    public init(rows: Axis, columns: Axis, isGlobal: Bool = false) {
        self.rows = rows; self.columns = columns; self.isGlobal = isGlobal
    }

    /// The input itself: every pixel sees itself.
    public static let identity = ReceptiveField(rows: Axis(stride: 1, low: 0, high: 0), columns: Axis(stride: 1, low: 0, high: 0),
                                                isGlobal: false)
    static let global = ReceptiveField(rows: identity.rows, columns: identity.columns, isGlobal: true)

    /// The input box (x, y, width, height; may extend past the image) of the unit at (y, x); the whole image when global.
    public func box(y: Int, x: Int, imageWidth: Int, imageHeight: Int) -> PixelBox {
        if isGlobal { return PixelBox(x: 0, y: 0, width: imageWidth, height: imageHeight) }
        return PixelBox(x: columns.stride * x + columns.low, y: rows.stride * y + rows.low, width: columns.size, height: rows.size)
    }

    /// The receptive field of `layer` with respect to the graph's first input.
    public static func of(layer: Int, in graph: Graph) -> ReceptiveField {
        var field: [Int: ReceptiveField] = [graph.inputs[0]: .identity]
        let needed = graph.ancestors(of: layer)
        for node in graph.nodes where needed.contains(node.output) || node.output == layer {
            let sources = node.inputs.compactMap { field[$0] }
            guard let first = sources.first else { continue }   // computed from constants only
            let input = graph.values[node.inputs[0]].shape
            field[node.output] = through(node.op, input: input, output: graph.values[node.output].shape, sources: sources, first: first)
        }
        return field[layer] ?? .global
    }

    private static func through(_ op: any Op, input: [Int], output: [Int], sources: [ReceptiveField], first: ReceptiveField) -> ReceptiveField {
        if sources.contains(where: \.isGlobal) || output.count != 4 { return .global }
        switch op {
        case let conv as Conv:
            return first.through(conv.window, input: input)
        case let pool as MaxPool: return first.through(pool.window, input: input)
        case let pool as AveragePool: return first.through(pool.window, input: input)
        case let pad as Pad where pad.pads.count == 8:
            // Output index j reads input j − pad_begin.
            return ReceptiveField(rows: first.rows.through(kernel: 1, stride: 1, padHead: pad.pads[2], dilation: 1),
                                  columns: first.columns.through(kernel: 1, stride: 1, padHead: pad.pads[3], dilation: 1), isGlobal: false)
        case is GlobalAveragePool, is Gemm, is MatMul, is Flatten, is Reshape, is Softmax:
            return .global
        default:
            // Elementwise and per-pixel ops (activations, BatchNorm, Add, Mul, Concat, LRN): the union of their inputs.
            var r = first
            for s in sources.dropFirst() {
                guard let rows = r.rows.union(s.rows), let columns = r.columns.union(s.columns) else { return .global }
                r = ReceptiveField(rows: rows, columns: columns, isGlobal: false)
            }
            return r
        }
    }

    private func through(_ w: Window2D, input: [Int]) -> ReceptiveField {
        let pads = w.resolve(inH: input[2], inW: input[3]).pads
        func head(_ d: Int) -> Int { pads[d] }
        return ReceptiveField(rows: rows.through(kernel: w.kernel[0], stride: w.strides[0], padHead: head(0), dilation: w.dilations[0]),
                              columns: columns.through(kernel: w.kernel[1], stride: w.strides[1], padHead: head(1), dilation: w.dilations[1]),
                              isGlobal: false)
    }
}

/// A rectangle of pixels; may extend past the image it refers to.
public struct PixelBox: Sendable, Hashable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
}
