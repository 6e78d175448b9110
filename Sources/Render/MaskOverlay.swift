import Pixels

/// Draws a class mask over an image's pixel grid: each labelled pixel blended towards its
/// class colour, ignore-labelled pixels (255) left as they are, and optionally the
/// boundaries between classes drawn solid.
///
/// The mask is scaled to the pixel grid by nearest neighbour (labels are not averaged);
/// blending is `out = (1 - opacity) * image + opacity * class colour` per sRGB channel.
///
/// ```swift
/// var pixels = CellCanvas.pixelGrid(photo, columns: 80, rows: 30, config: config)
/// MaskOverlay(palette: ClassPalette.voc(count: 21), opacity: 0.5).draw(mask, onto: &pixels)
/// let grid = CellCanvas.cells(from: pixels, config: config)
/// ```
public struct MaskOverlay: Hashable, Sendable {
    /// The colour of each class label; labels beyond it are left unpainted.
    public var palette: [RGB]
    /// 0 shows only the image, 1 only the class colours.
    public var opacity: Double
    /// When set, pixels on a class boundary are painted this colour.
    public var boundaryColor: RGB?

    public init(palette: [RGB], opacity: Double = 0.5, boundaryColor: RGB? = nil) {
        self.palette = palette
        self.opacity = min(1, max(0, opacity))
        self.boundaryColor = boundaryColor
    }

    /// Blends `mask` onto `pixels` (a pixel grid of any size covering the same area).
    public func draw(_ mask: ClassMask, onto pixels: inout RGBImage) {
        let (w, h) = (pixels.width, pixels.height)
        guard mask.width > 0, mask.height > 0, w > 0, h > 0 else { return }
        let labels = MaskOverlay.sample(mask, width: w, height: h)
        let a = Float(opacity)
        for y in 0..<h {
            for x in 0..<w {
                let label = labels[y * w + x]
                let p = 3 * (y * w + x)
                if let boundaryColor, MaskOverlay.isBoundary(labels, x: x, y: y, width: w, height: h) {
                    pixels.pixels[p] = boundaryColor.r; pixels.pixels[p + 1] = boundaryColor.g; pixels.pixels[p + 2] = boundaryColor.b
                    continue
                }
                guard label != ClassMask.ignore, label >= 0, Int(label) < palette.count else { continue }
                let c = palette[Int(label)]
                pixels.pixels[p] = blend(pixels.pixels[p], c.r, a)
                pixels.pixels[p + 1] = blend(pixels.pixels[p + 1], c.g, a)
                pixels.pixels[p + 2] = blend(pixels.pixels[p + 2], c.b, a)
            }
        }
    }

    /// The mask's labels at each pixel centre of a `width` x `height` grid.
    static func sample(_ mask: ClassMask, width: Int, height: Int) -> [Int32] {
        var out = [Int32](repeating: ClassMask.ignore, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                out[y * width + x] = mask.label(atX: x, y: y, gridWidth: width, gridHeight: height)
            }
        }
        return out
    }

    /// Whether the pixel's right or lower neighbour has another (non-ignore) label.
    static func isBoundary(_ labels: [Int32], x: Int, y: Int, width: Int, height: Int) -> Bool {
        let label = labels[y * width + x]
        if x + 1 < width {
            let right = labels[y * width + x + 1]
            if right != label && right != ClassMask.ignore && label != ClassMask.ignore { return true }
        }
        if y + 1 < height {
            let below = labels[(y + 1) * width + x]
            if below != label && below != ClassMask.ignore && label != ClassMask.ignore { return true }
        }
        return false
    }
}

/// `(1 - a) * base + a * over`, rounded, for one 8-bit channel.
@inline(__always)
func blend(_ base: UInt8, _ over: UInt8, _ a: Float) -> UInt8 {
    clampByte((1 - a) * Float(base) + a * Float(over))
}
