/// How an image is brought to a network's fixed input size.
public enum FitMode: Sendable, Equatable {
    /// Scale so the image covers the target, crop the overflow equally from both sides (Pillow's `ImageOps.fit`).
    case centreCrop
    /// Scale so the image fits inside the target, pad with `fill` (Pillow's `ImageOps.pad`).
    case letterbox(fill: RGBPixel = RGBPixel(0, 0, 0))
    /// Scale each axis independently, distorting the aspect ratio.
    case stretch
}

/// One RGB8 colour.
public struct RGBPixel: Sendable, Equatable {
    public var r: UInt8, g: UInt8, b: UInt8
    /// A colour from its three channels.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
}

extension RGBImage {
    /// Bilinear resize, antialiased when shrinking; matches Pillow's `resize((w, h), BILINEAR)`.
    public func resized(width: Int, height: Int) -> RGBImage {
        resized(width: width, height: height, box: (0, 0, Double(self.width), Double(self.height)))
    }

    /// Bilinear resize of the box `(x0, y0)–(x1, y1)` (fractional pixels); matches Pillow's `resize(…, box=)`.
    public func resized(width: Int, height: Int, box: (x0: Double, y0: Double, x1: Double, y1: Double)) -> RGBImage {
        precondition(width > 0 && height > 0, "resize to \(width)x\(height)")
        precondition(self.width > 0 && self.height > 0, "resize of an empty image")
        precondition(box.x0 >= 0 && box.y0 >= 0 && box.x1 <= Double(self.width) && box.y1 <= Double(self.height)
                     && box.x0 < box.x1 && box.y0 < box.y1, "resize box \(box) outside \(self.width)x\(self.height)")
        return Resampler.resample(self, width: width, height: height, box: box)
    }

    /// Aspect-preserving resize making the shorter side `side` pixels (the longer side is truncated, as torchvision does).
    public func resized(shorterSide side: Int) -> RGBImage {
        let size = size(shorterSide: side)
        return resized(width: size.width, height: size.height)
    }

    /// `resized(shorterSide: side).centreCropped(width:height:)`, computing only the kept pixels (the same bytes): the
    /// live preprocessing of every frame, where a 4:3 frame's resize had computed a quarter of its columns for nothing.
    public func resized(shorterSide side: Int, centreCroppedTo cropWidth: Int, _ cropHeight: Int) -> RGBImage {
        let size = size(shorterSide: side)
        precondition(cropWidth > 0 && cropHeight > 0 && cropWidth <= size.width && cropHeight <= size.height,
                     "centre crop \(cropWidth)x\(cropHeight) of \(size.width)x\(size.height)")
        let x = Self.centreOffset(cropWidth, in: size.width), y = Self.centreOffset(cropHeight, in: size.height)
        return Resampler.resample(self, width: size.width, height: size.height, box: (0, 0, Double(width), Double(height)),
                                  columns: x..<(x + cropWidth), rows: y..<(y + cropHeight))
    }

    /// The size `resized(shorterSide:)` makes.
    private func size(shorterSide side: Int) -> (width: Int, height: Int) {
        width <= height ? (side, max(1, side * height / width)) : (max(1, side * width / height), side)
    }

    /// Where a centred crop of `crop` pixels starts in `size` (rounded half to even, as torchvision's `CenterCrop`).
    private static func centreOffset(_ crop: Int, in size: Int) -> Int { Int((Double(size - crop) / 2).rounded(.toNearestOrEven)) }

    /// The `width`×`height` region whose top-left corner is (`x`, `y`); it must lie inside the image.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && width >= 0 && height >= 0 && x + width <= self.width && y + height <= self.height,
                     "crop \(width)x\(height)+\(x)+\(y) outside \(self.width)x\(self.height)")
        var out = [UInt8]()
        out.reserveCapacity(width * height * 3)
        for row in y..<(y + height) {
            let start = (row * self.width + x) * 3
            out.append(contentsOf: pixels[start..<(start + width * 3)])
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// The centred `width`×`height` region (offsets rounded half to even, as torchvision's `CenterCrop`).
    public func centreCropped(width: Int, height: Int) -> RGBImage {
        cropped(x: Self.centreOffset(width, in: self.width), y: Self.centreOffset(height, in: self.height), width: width, height: height)
    }

    /// Brings the image to exactly `width`×`height` by `mode`, resampling once.
    public func fitted(width: Int, height: Int, mode: FitMode) -> RGBImage {
        switch mode {
        case .stretch: return resized(width: width, height: height)
        case .centreCrop: return fittedByCrop(width: width, height: height)
        case .letterbox(let fill): return fittedByPadding(width: width, height: height, fill: fill)
        }
    }

    private func fittedByCrop(width: Int, height: Int) -> RGBImage {
        let sourceRatio = Double(self.width) / Double(self.height)
        let targetRatio = Double(width) / Double(height)
        var cropW = Double(self.width), cropH = Double(self.height)
        if sourceRatio > targetRatio { cropW = targetRatio * cropH } else if sourceRatio < targetRatio { cropH = cropW / targetRatio }
        let left = (Double(self.width) - cropW) / 2, top = (Double(self.height) - cropH) / 2
        return resized(width: width, height: height, box: (left, top, left + cropW, top + cropH))
    }

    private func fittedByPadding(width: Int, height: Int, fill: RGBPixel) -> RGBImage {
        let sourceRatio = Double(self.width) / Double(self.height)
        let targetRatio = Double(width) / Double(height)
        if sourceRatio == targetRatio { return resized(width: width, height: height) }
        // Python's round() (half to even) keeps the placement identical to Pillow's.
        var canvas = RGBImage(width: width, height: height, fill: (fill.r, fill.g, fill.b))
        let inner: RGBImage, x: Int, y: Int
        if sourceRatio > targetRatio {
            let h = max(1, Int((Double(self.height) / Double(self.width) * Double(width)).rounded(.toNearestOrEven)))
            inner = h == height ? self : resized(width: width, height: h)
            (x, y) = (0, Int((Double(height - h) * 0.5).rounded(.toNearestOrEven)))
        } else {
            let w = max(1, Int((Double(self.width) / Double(self.height) * Double(height)).rounded(.toNearestOrEven)))
            inner = w == width ? self : resized(width: w, height: height)
            (x, y) = (Int((Double(width - w) * 0.5).rounded(.toNearestOrEven)), 0)
        }
        canvas.paste(inner, x: x, y: y)
        return canvas
    }

    /// Copies `other` into this image with its top-left corner at (`x`, `y`); parts outside are clipped.
    public mutating func paste(_ other: RGBImage, x: Int, y: Int) {
        let x0 = max(x, 0), x1 = min(x + other.width, width)
        let y0 = max(y, 0), y1 = min(y + other.height, height)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            let dst = (row * width + x0) * 3, src = ((row - y) * other.width + (x0 - x)) * 3
            pixels.replaceSubrange(dst..<(dst + (x1 - x0) * 3), with: other.pixels[src..<(src + (x1 - x0) * 3)])
        }
    }
}
