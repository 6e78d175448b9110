import Pixels

/// A class legend as cells: per class a colour swatch, the name, and its share of the
/// labelled pixels.
///
/// ```swift
/// let entries = Legend.entries(mask: mask, names: vocNames, palette: ClassPalette.voc(count: 21))
/// let grid = Legend(entries: entries).grid(width: 30, config: config)
/// // ██ background  71.0%
/// // ██ person      24.5%
/// ```
public struct Legend: Hashable, Sendable {
    /// One class's line.
    public struct Entry: Hashable, Sendable {
        public var name: String
        public var color: RGB
        /// Fraction 0...1 of labelled pixels, or nil to leave the share out.
        public var share: Double?
        public init(name: String, color: RGB, share: Double?) {
            self.name = name
            self.color = color
            self.share = share
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The classes present in `mask`, largest share first.
    public static func entries(mask: ClassMask, names: [String], palette: [RGB]) -> [Entry] {
        let shares = mask.shares(classCount: names.count)
        return names.indices
            .filter { shares[$0] > 0 }
            .sorted { shares[$0] > shares[$1] || (shares[$0] == shares[$1] && $0 < $1) }
            .map { Entry(name: names[$0], color: $0 < palette.count ? palette[$0] : RGB(128, 128, 128), share: shares[$0]) }
    }

    /// One row per entry: two swatch cells, a space, the name padded to the longest, and the
    /// share as a percentage, clipped to `width`.
    public func grid(width: Int, config: CanvasConfig) -> CellGrid {
        var grid = CellGrid(width: width, height: entries.count)
        let quantizer = PaletteQuantizer(mode: config.colorMode, distance: config.effectiveColorDistance)
        let nameWidth = entries.map { $0.name.unicodeScalars.count }.max() ?? 0
        for (row, entry) in entries.enumerated() {
            let swatch: Cell
            if config.colorMode == .none {
                swatch = Cell(glyph: config.cellMode == .halfBlock ? "█" : "#")
            } else {
                swatch = Cell(glyph: " ", background: quantizer.color(entry.color, x: 0, y: 0))
            }
            for x in 0..<min(2, width) { grid[x, row] = swatch }
            var text = " " + entry.name
            if let share = entry.share {
                text += String(repeating: " ", count: nameWidth - entry.name.unicodeScalars.count)
                let percent = CellText.compact((share * 1000).rounded() / 10, digits: 4)
                text += " " + String(repeating: " ", count: max(0, 5 - percent.count)) + percent + "%"
            }
            CellText.write(text, into: &grid, x: 2, y: row)
        }
        return grid
    }
}
