/// A horizontal colour bar with numeric ticks, as cells: one row of colour from `low` to
/// `high` and one row of labels under it (low, high, and the middle, which is zero for a
/// symmetric range).
///
/// ```swift
/// let bar = ColorBar(colorMap: .rdBuR, low: -0.8, high: 0.8)
/// let grid = bar.grid(width: 40, config: config)
/// // ████████████████████████████████████████
/// // -0.8               0                 0.8
/// ```
public struct ColorBar: Hashable, Sendable {
    public var colorMap: ColorMap
    public var low: Double
    public var high: Double

    public init(colorMap: ColorMap, low: Double, high: Double) {
        self.colorMap = colorMap
        self.low = low
        self.high = high
    }

    /// The bar for a heatmap's values over `range`.
    public init(colorMap: ColorMap, range: HeatmapRange, values: [Float]) {
        let (low, high) = range.resolve(values)
        self.init(colorMap: colorMap, low: low, high: high)
    }

    /// The value at the centre of bar column `x` of `width`.
    public func value(atColumn x: Int, width: Int) -> Double {
        low + (Double(x) + 0.5) / Double(width) * (high - low)
    }

    /// The tick values and the bar columns they sit at.
    public func ticks(width: Int) -> [(value: Double, column: Int)] {
        guard width >= 2 else { return [(low, 0)] }
        let middle = (low + high) / 2
        return [(low, 0), (middle, (width - 1) / 2), (high, width - 1)]
    }

    /// Two rows: the bar, then the tick labels (left-aligned at the low end, centred in the
    /// middle, right-aligned at the high end).
    public func grid(width: Int, config: CanvasConfig) -> CellGrid {
        var grid = CellGrid(width: width, height: 2)
        guard width > 0 else { return grid }
        let quantizer = PaletteQuantizer(mode: config.colorMode, distance: config.effectiveColorDistance)
        for x in 0..<width {
            let c = colorMap.color(at: (value(atColumn: x, width: width) - low) / (high - low))
            if config.colorMode == .none {
                let ramp = config.cellMode == .halfBlock ? CellCanvas.shadeRamp : CellCanvas.asciiRamp
                let i = min(ramp.count - 1, Int(CellCanvas.perceivedLightness(c) * Float(ramp.count - 1) + 0.5))
                grid[x, 0] = Cell(glyph: ramp[i])
            } else {
                grid[x, 0] = Cell(glyph: " ", background: quantizer.color(c, x: x, y: 0))
            }
        }
        let marks = ticks(width: width)
        for (k, mark) in marks.enumerated() {
            let label = CellText.compact(abs(mark.value) < 1e-12 * max(abs(low), abs(high)) ? 0 : mark.value)
            let n = label.unicodeScalars.count
            var start: Int
            if k == 0 { start = 0 } else if k == marks.count - 1 { start = width - n } else { start = mark.column - n / 2 }
            start = max(0, min(width - n, start))
            // Skip a label that would overwrite the one before it.
            let clear = (start..<min(width, start + n)).allSatisfy { grid[$0, 1].glyph == " " }
            if clear || k == 0 { CellText.write(label, into: &grid, x: start, y: 1) }
        }
        return grid
    }
}
