import Pixels

/// A 256-entry colour map for scalar values, with matplotlib's tables: `viridis` and
/// `magma` (perceptually uniform, for one-signed values) and `rdBuR` (diverging
/// blue-white-red, for signed values centred on zero).
///
/// A value `t` in 0...1 takes entry `min(255, floor(t * 256))`, as matplotlib does; values
/// outside clamp to the ends.
///
/// ```swift
/// ColorMap.viridis.color(at: 0.5)    // RGB(33, 145, 140)
/// ```
public struct ColorMap: Hashable, Sendable {
    /// The map's name (`viridis`, `magma`, `RdBu_r`).
    public let name: String
    /// 256 colours from the low end to the high end.
    public let colors: [RGB]
    /// Whether the map is meant for signed values around a centre.
    public let isDiverging: Bool

    public init(name: String, colors: [RGB], isDiverging: Bool) {
        precondition(colors.count == 256, "a colour map has 256 entries, not \(colors.count)")
        self.name = name
        self.colors = colors
        self.isDiverging = isDiverging
    }

    init(name: String, table: [UInt8], isDiverging: Bool) {
        self.init(name: name, colors: (0..<256).map { RGB(table[3 * $0], table[3 * $0 + 1], table[3 * $0 + 2]) },
                  isDiverging: isDiverging)
    }

    /// matplotlib's `viridis`.
    public static let viridis = ColorMap(name: "viridis", table: ColorMapTables.viridis, isDiverging: false)
    /// matplotlib's `magma`.
    public static let magma = ColorMap(name: "magma", table: ColorMapTables.magma, isDiverging: false)
    /// matplotlib's `RdBu_r`: blue for negative, white at zero, red for positive.
    public static let rdBuR = ColorMap(name: "RdBu_r", table: ColorMapTables.rdBuR, isDiverging: true)

    /// The map called `name` (case-insensitive: viridis, magma, rdbu_r / diverging).
    public static func named(_ name: String) -> ColorMap? {
        switch name.lowercased() {
        case "viridis": return .viridis
        case "magma": return .magma
        case "rdbu_r", "rdbu", "diverging": return .rdBuR
        default: return nil
        }
    }

    /// The colour of `t` in 0...1 (NaN takes the low end).
    @inline(__always)
    public func color(at t: Double) -> RGB {
        guard t.isFinite else { return colors[t == .infinity ? 255 : 0] }
        return colors[max(0, min(255, Int((t * 256).rounded(.down))))]
    }
}

/// The value range a heatmap's colours span.
///
/// ```swift
/// HeatmapRange.symmetric.resolve([-0.2, 0.5])   // (-0.5, 0.5)
/// ```
public enum HeatmapRange: Hashable, Sendable {
    /// A fixed `low...high`.
    case fixed(low: Double, high: Double)
    /// The map's own minimum to maximum.
    case perMap
    /// `-m...m` with `m` the largest magnitude, so zero sits in the middle.
    case symmetric

    /// The concrete low and high for `values` (finite values only; a flat map gets a
    /// unit-wide range so colours stay defined).
    public func resolve(_ values: [Float]) -> (low: Double, high: Double) {
        switch self {
        case let .fixed(low, high):
            return (low, high > low ? high : low + 1)
        case .perMap:
            var lo = Double.infinity, hi = -Double.infinity
            for v in values where v.isFinite { lo = min(lo, Double(v)); hi = max(hi, Double(v)) }
            if !lo.isFinite { return (0, 1) }
            return hi > lo ? (lo, hi) : (lo - 0.5, lo + 0.5)
        case .symmetric:
            var m = 0.0
            for v in values where v.isFinite { m = max(m, abs(Double(v))) }
            return m > 0 ? (-m, m) : (-1, 1)
        }
    }
}

/// A scalar map over a grid (e.g. a bias map at the feature grid), to be shown in colour.
///
/// ```swift
/// let heat = Heatmap(width: 14, height: 14, values: bias)
/// let pixels = heat.image(colorMap: .rdBuR, range: .symmetric)
/// ```
public struct Heatmap: Hashable, Sendable {
    public let width: Int
    public let height: Int
    /// `width * height` values, row-major.
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height, "\(values.count) values for a \(width)x\(height) map")
        self.width = width
        self.height = height
        self.values = values
    }

    /// One pixel per value, coloured by `colorMap` over `range`.
    public func image(colorMap: ColorMap, range: HeatmapRange) -> RGBImage {
        let (low, high) = range.resolve(values)
        var out = RGBImage(width: width, height: height)
        for (i, v) in values.enumerated() {
            let c = colorMap.color(at: (Double(v) - low) / (high - low))
            out.pixels[3 * i] = c.r; out.pixels[3 * i + 1] = c.g; out.pixels[3 * i + 2] = c.b
        }
        return out
    }

    /// The map coloured and scaled (nearest neighbour, so each value stays a crisp block) to
    /// `columns` x `rows` cells, optionally blended over an image's pixel grid of that size.
    public func cells(colorMap: ColorMap, range: HeatmapRange, columns: Int, rows: Int,
                      over background: RGBImage? = nil, opacity: Double = 1,
                      config: CanvasConfig) -> CellGrid {
        var pixels = AreaResampler.nearest(image(colorMap: colorMap, range: range),
                                           width: columns, height: rows * config.pixelsPerCell)
        if let background, background.width == pixels.width, background.height == pixels.height {
            let a = Float(min(1, max(0, opacity)))
            for i in 0..<pixels.pixels.count { pixels.pixels[i] = blend(background.pixels[i], pixels.pixels[i], a) }
        }
        return CellCanvas.cells(from: pixels, config: config)
    }
}
