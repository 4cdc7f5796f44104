extension RGBImage {
    /// The image as a network input: planar CHW floats `(x − mean[c]) / std[c]` with `x` in 0…255
    /// (for 0…1 conventions such as ImageNet's 0.485/0.229, multiply mean and std by 255).
    /// EfficientNet-Lite uses mean 127, std 128 on every channel.
    public func planarFloat(mean: [Float], std: [Float]) -> [Float] {
        [Float](unsafeUninitializedCapacity: width * height * 3) { out, n in
            writePlanarFloat(into: out.baseAddress!, mean: mean, std: std)
            n = width * height * 3
        }
    }

    /// Writes `planarFloat(mean:std:)`'s 3·width·height values into `out`, with no array between (the live forward
    /// thread fills its input tensor this way every frame).
    public func writePlanarFloat(into out: UnsafeMutablePointer<Float>, mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3, "planarFloat needs three means and three stds")
        let plane = width * height
        pixels.withUnsafeBufferPointer { src in
            for c in 0..<3 {
                let m = mean[c], s = 1 / std[c], dst = out + c * plane
                for i in 0..<plane { dst[i] = (Float(src[3 * i + c]) - m) * s }
            }
        }
    }

    /// The inverse of `planarFloat`: `x = value · std[c] + mean[c]`, rounded and clamped to 0…255.
    public init(planarFloat values: [Float], width: Int, height: Int, mean: [Float], std: [Float]) {
        precondition(values.count == width * height * 3, "planar input: \(values.count) values for 3x\(height)x\(width)")
        precondition(mean.count == 3 && std.count == 3, "planar input needs three means and three stds")
        let plane = width * height
        var bytes = [UInt8](repeating: 0, count: plane * 3)
        for c in 0..<3 {
            for i in 0..<plane {
                let x = values[c * plane + i] * std[c] + mean[c]
                bytes[3 * i + c] = x.isNaN || x <= 0 ? 0 : (x >= 255 ? 255 : UInt8(x + 0.5))
            }
        }
        self.init(width: width, height: height, pixels: bytes)
    }
}
