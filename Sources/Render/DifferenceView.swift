import Pixels

/// Where two label maps disagree (e.g. before and after rectification), over a dimmed image:
/// changed pixels take the new class's colour at full strength, unchanged pixels show the
/// image darkened so the changes stand out.
///
/// ```swift
/// var pixels = CellCanvas.pixelGrid(photo, columns: 80, rows: 30, config: config)
/// let changed = DifferenceView(palette: palette).draw(before: raw, after: rectified, onto: &pixels)
/// ```
public struct DifferenceView: Hashable, Sendable {
    /// Class colours for the new labels.
    public var palette: [RGB]
    /// Brightness kept by unchanged pixels, 0...1 (applied in linear light).
    public var dimming: Double
    /// Colour for changed pixels whose new label has no palette entry (e.g. became ignore).
    public var fallback: RGB

    public init(palette: [RGB], dimming: Double = 0.3, fallback: RGB = RGB(255, 0, 255)) {
        self.palette = palette
        self.dimming = min(1, max(0, dimming))
        self.fallback = fallback
    }

    /// Paints the difference onto `pixels`; returns the fraction of pixels that changed.
    @discardableResult
    public func draw(before: ClassMask, after: ClassMask, onto pixels: inout RGBImage) -> Double {
        let (w, h) = (pixels.width, pixels.height)
        guard w > 0, h > 0 else { return 0 }
        let a = MaskOverlay.sample(before, width: w, height: h)
        let b = MaskOverlay.sample(after, width: w, height: h)
        var changed = 0
        for i in 0..<(w * h) {
            let p = 3 * i
            if a[i] != b[i] {
                changed += 1
                let label = Int(b[i])
                let c = label >= 0 && label < palette.count && b[i] != ClassMask.ignore ? palette[label] : fallback
                pixels.pixels[p] = c.r; pixels.pixels[p + 1] = c.g; pixels.pixels[p + 2] = c.b
            } else {
                dimPixel(&pixels.pixels, at: p)
            }
        }
        return Double(changed) / Double(w * h)
    }

    /// Every pixel darkened to `dimming` (what unchanged pixels look like), e.g. while the
    /// labels to compare are not known yet.
    public func dim(_ pixels: inout RGBImage) {
        for i in 0..<(pixels.width * pixels.height) { dimPixel(&pixels.pixels, at: 3 * i) }
    }

    /// One pixel's three channels scaled by `dimming` in linear light.
    @inline(__always)
    func dimPixel(_ samples: inout [UInt8], at p: Int) {
        let toLinear = LinearLight.fromSRGB, table = LinearLight.toSRGBTable
        let dim = Float(dimming)
        for k in 0..<3 { samples[p + k] = table[Int(toLinear[Int(samples[p + k])] * dim * 65535 + 0.5)] }
    }

    /// The fraction of pixels whose label differs between two same-sized masks.
    public static func changedFraction(_ before: ClassMask, _ after: ClassMask) -> Double {
        precondition(before.width == after.width && before.height == after.height, "masks of different sizes")
        guard !before.labels.isEmpty else { return 0 }
        return Double(zip(before.labels, after.labels).filter { $0 != $1 }.count) / Double(before.labels.count)
    }
}
