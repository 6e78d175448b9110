import Render

/// An RGB picture the explorer paints into panels: the decoded photograph, or a mask, heat map
/// or blend built at a panel's pixel size.
///
/// ```swift
/// let picture = Picture(width: 2, height: 1, pixels: [RGB(255, 0, 0), RGB(0, 0, 255)])
/// let small = picture.resized(width: 1, height: 1)   // the average, RGB(128, 0, 128)
/// ```
public struct Picture: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Row-major pixels, `width * height` of them.
    public var pixels: [RGB]

    public init(width: Int, height: Int, pixels: [RGB]) {
        precondition(pixels.count == width * height, "picture has \(pixels.count) pixels, expected \(width * height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A picture filled with one colour.
    public init(width: Int, height: Int, fill: RGB) {
        self.init(width: width, height: height, pixels: [RGB](repeating: fill, count: width * height))
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> RGB {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// Width over height (1 for an empty picture).
    public var aspect: Double { height > 0 && width > 0 ? Double(width) / Double(height) : 1 }

    /// This picture at `width` x `height` by Render's area resampler (each output pixel
    /// averages the source area it covers, in linear light).
    public func resized(width w: Int, height h: Int) -> Picture {
        guard w > 0, h > 0, width > 0, height > 0 else { return Picture(width: max(w, 0), height: max(h, 0), fill: RGB(0, 0, 0)) }
        if w == width && h == height { return self }
        return Picture(AreaResampler.resample(image, width: w, height: h))
    }

    /// Each pixel mixed with `other`'s: `(1 - opacity) * self + opacity * other`.
    public func blended(with other: Picture, opacity: Double) -> Picture {
        precondition(other.width == width && other.height == height, "blend of different sizes")
        let a = max(0, min(1, opacity))
        var out = self
        for i in 0..<pixels.count {
            out.pixels[i] = Self.mix(pixels[i], other.pixels[i], a)
        }
        return out
    }

    /// The picture in grey, darkened to `brightness` (0...1), used behind highlighted cells.
    public func dimmed(_ brightness: Double) -> Picture {
        var out = self
        for i in 0..<pixels.count {
            let p = pixels[i]
            let y = (0.299 * Double(p.r) + 0.587 * Double(p.g) + 0.114 * Double(p.b)) * brightness
            let v = UInt8(max(0, min(255, y.rounded())))
            out.pixels[i] = RGB(v, v, v)
        }
        return out
    }

    /// `(1 - t) * a + t * b` per channel.
    static func mix(_ a: RGB, _ b: RGB, _ t: Double) -> RGB {
        func c(_ x: UInt8, _ y: UInt8) -> UInt8 {
            UInt8(max(0, min(255, (Double(x) * (1 - t) + Double(y) * t).rounded())))
        }
        return RGB(c(a.r, b.r), c(a.g, b.g), c(a.b, b.b))
    }
}

/// A per-pixel class map (a mask from the engine or a dataset's ground truth) is Render's
/// `ClassMask`; `ClassMask.ignore` (255) marks pixels that belong to no class.
public typealias LabelMap = ClassMask

extension ClassMask {
    /// This map at `width` x `height`, nearest neighbour (labels are not averaged).
    public func resized(width w: Int, height h: Int) -> ClassMask {
        if w == width && h == height { return self }
        guard width > 0, height > 0, w > 0, h > 0 else {
            return ClassMask(width: max(w, 0), height: max(h, 0), labels: [Int32](repeating: Self.ignore, count: max(w, 0) * max(h, 0)))
        }
        var out = [Int32](repeating: Self.ignore, count: w * h)
        for y in 0..<h {
            let sy = min(height - 1, (2 * y + 1) * height / (2 * h))
            for x in 0..<w {
                let sx = min(width - 1, (2 * x + 1) * width / (2 * w))
                out[y * w + x] = labels[sy * width + sx]
            }
        }
        return ClassMask(width: w, height: h, labels: out)
    }

    /// The map painted with one colour per class; ignored pixels in `ignoreColour`.
    public func painted(_ palette: ClassColours, ignoreColour: RGB = RGB(224, 224, 192)) -> Picture {
        Picture(width: width, height: height, pixels: labels.map { $0 == Self.ignore || $0 < 0 ? ignoreColour : palette[Int($0)] })
    }
}

/// Colours for class indices: Render's palette for the class list (VOC's colours for VOC's
/// classes, distinct ones otherwise), grey for indices past its end.
public struct ClassColours: Sendable {
    let colours: [RGB]
    public init(classes: [String]) { colours = ClassPalette.forClasses(classes) }
    /// The colour of class `k`.
    public subscript(k: Int) -> RGB { colours.indices.contains(k) ? colours[k] : RGB(128, 128, 128) }
}

/// Colours for a signed quantity (RdBu reversed): blue below zero, white at zero, red above, saturating at
/// `-limit` and `+limit`.
public struct DivergingScale: Sendable, Equatable {
    /// The magnitude mapped to full blue or full red.
    public let limit: Float

    public init(limit: Float) { self.limit = limit > 0 && limit.isFinite ? limit : 1 }

    /// A scale whose limit is the largest magnitude in `values`.
    public init(covering values: [Float]) {
        self.init(limit: values.reduce(0) { max($0, abs($1)) })
    }

    /// The colour of `value`.
    public func colour(_ value: Float) -> RGB {
        let t = Double(max(-1, min(1, value / limit)))
        return ColorMap.rdBuR.color(at: (t + 1) / 2)
    }

    /// A map of `values` (row-major `width` x `height`) painted and resized to `w` x `h`.
    public func painted(_ values: ArraySlice<Float>, width: Int, height: Int, toWidth w: Int, height h: Int) -> Picture {
        let small = Picture(width: width, height: height, pixels: values.map(colour))
        return small.resizedSmooth(width: w, height: h)
    }
}

extension Picture {
    /// Bilinear resize with half-pixel centres, for heat maps enlarged from the feature grid.
    func resizedSmooth(width w: Int, height h: Int) -> Picture {
        guard w > 0, h > 0, width > 0, height > 0 else { return Picture(width: max(w, 0), height: max(h, 0), fill: RGB(0, 0, 0)) }
        var out = [RGB](repeating: RGB(0, 0, 0), count: w * h)
        for oy in 0..<h {
            let sy = max(0, (Double(oy) + 0.5) * Double(height) / Double(h) - 0.5)
            let y0 = min(Int(sy), height - 1), y1 = min(y0 + 1, height - 1), fy = sy - Double(y0)
            for ox in 0..<w {
                let sx = max(0, (Double(ox) + 0.5) * Double(width) / Double(w) - 0.5)
                let x0 = min(Int(sx), width - 1), x1 = min(x0 + 1, width - 1), fx = sx - Double(x0)
                let top = Self.mix(self[x0, y0], self[x1, y0], fx)
                let bottom = Self.mix(self[x0, y1], self[x1, y1], fx)
                out[oy * w + ox] = Self.mix(top, bottom, fy)
            }
        }
        return Picture(width: w, height: h, pixels: out)
    }
}

extension Picture {
    /// The picture as terminal cells. With `halfBlocks` each cell shows two stacked pixels
    /// (`▀`, upper pixel as foreground, lower as background), so the picture should be twice as
    /// tall as the cell rectangle; without (no UTF-8 locale) each cell is a space whose
    /// background is the mean of its two pixels.
    public func cells(halfBlocks: Bool) -> CellGrid {
        let rows = height / 2
        var grid = CellGrid(width: width, height: rows)
        for y in 0..<rows {
            for x in 0..<width {
                let top = self[x, 2 * y], bottom = self[x, 2 * y + 1]
                grid[x, y] = halfBlocks
                    ? Cell(glyph: "\u{2580}", foreground: .rgb(top), background: .rgb(bottom))
                    : Cell(glyph: " ", foreground: .terminalDefault, background: .rgb(Self.mix(top, bottom, 0.5)))
            }
        }
        return grid
    }
}
