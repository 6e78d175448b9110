/// An 8-bit sRGB image with interleaved `r, g, b` samples, row-major, top row first.
///
/// ```swift
/// var image = RGBImage(width: 2, height: 1)
/// image[1, 0] = RGB(255, 0, 0)
/// image.pixels   // [0, 0, 0, 255, 0, 0]
/// ```
public struct RGBImage: Hashable, Sendable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height * 3` bytes: r, g, b of each pixel in turn.
    public var pixels: [UInt8]

    /// An image filled with `fill`.
    public init(width: Int, height: Int, fill: RGB = RGB(0, 0, 0)) {
        precondition(width >= 0 && height >= 0, "negative image size \(width)x\(height)")
        self.width = width
        self.height = height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        if fill != RGB(0, 0, 0) {
            for i in 0..<(width * height) {
                pixels[3 * i] = fill.r; pixels[3 * i + 1] = fill.g; pixels[3 * i + 2] = fill.b
            }
        }
        self.pixels = pixels
    }

    /// An image over existing samples; `pixels.count` must be `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3,
                     "\(pixels.count) samples for a \(width)x\(height) RGB image")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image from one `RGB` per pixel, row-major.
    public init(width: Int, height: Int, colors: [RGB]) {
        precondition(colors.count == width * height, "\(colors.count) colours for a \(width)x\(height) image")
        self.init(width: width, height: height, pixels: colors.flatMap { [$0.r, $0.g, $0.b] })
    }

    /// One `RGB` per pixel, row-major.
    public var colors: [RGB] {
        (0..<(width * height)).map { RGB(pixels[3 * $0], pixels[3 * $0 + 1], pixels[3 * $0 + 2]) }
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> RGB {
        get {
            let i = 3 * (y * width + x)
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = 3 * (y * width + x)
            pixels[i] = newValue.r; pixels[i + 1] = newValue.g; pixels[i + 2] = newValue.b
        }
    }
}

/// A palette image: one index per pixel into `palette`.
///
/// VOC ground-truth masks are palette PNGs whose index is the class (255 = ignore); reading
/// them as an `IndexedImage` keeps the indices exactly as stored.
public struct IndexedImage: Hashable, Sendable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height` indices, row-major.
    public var indices: [UInt8]
    /// The colour of each index (may have fewer than 256 entries).
    public var palette: [RGB]

    public init(width: Int, height: Int, indices: [UInt8], palette: [RGB]) {
        precondition(indices.count == width * height,
                     "\(indices.count) indices for a \(width)x\(height) image")
        self.width = width
        self.height = height
        self.indices = indices
        self.palette = palette
    }

    /// The image in colour; indices beyond the palette are black.
    public func expanded() -> RGBImage {
        var out = RGBImage(width: width, height: height)
        for (i, index) in indices.enumerated() where Int(index) < palette.count {
            let c = palette[Int(index)]
            out.pixels[3 * i] = c.r; out.pixels[3 * i + 1] = c.g; out.pixels[3 * i + 2] = c.b
        }
        return out
    }
}

/// A per-pixel class label map, e.g. a predicted segmentation or a ground-truth mask.
///
/// Labels index a class list; `ClassMask.ignore` (255) marks pixels without a class, which
/// overlays leave transparent.
public struct ClassMask: Hashable, Sendable {
    /// The label of pixels that belong to no class.
    public static let ignore: Int32 = 255
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height` labels, row-major.
    public var labels: [Int32]

    public init(width: Int, height: Int, labels: [Int32]) {
        precondition(labels.count == width * height,
                     "\(labels.count) labels for a \(width)x\(height) mask")
        self.width = width
        self.height = height
        self.labels = labels
    }

    public init(width: Int, height: Int, labels: [UInt8]) {
        self.init(width: width, height: height, labels: labels.map { Int32($0) })
    }

    /// The mask stored in a palette image (index = class).
    public init(_ image: IndexedImage) {
        self.init(width: image.width, height: image.height, labels: image.indices)
    }

    /// The label at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Int32 { labels[y * width + x] }

    /// The label found at the centre of pixel (`x`, `y`) of a `width` x `height` grid laid
    /// over the same area (nearest-neighbour scaling).
    @inline(__always)
    package func label(atX x: Int, y: Int, gridWidth: Int, gridHeight: Int) -> Int32 {
        let mx = min(width - 1, (2 * x + 1) * width / (2 * gridWidth))
        let my = min(height - 1, (2 * y + 1) * height / (2 * gridHeight))
        return labels[my * width + mx]
    }

    /// The fraction of labelled (non-ignore) pixels carrying each label `0..<classCount`.
    public func shares(classCount: Int) -> [Double] {
        var counts = [Int](repeating: 0, count: classCount)
        var total = 0
        for label in labels where label != ClassMask.ignore && label >= 0 {
            total += 1
            if Int(label) < classCount { counts[Int(label)] += 1 }
        }
        return counts.map { total == 0 ? 0 : Double($0) / Double(total) }
    }
}
