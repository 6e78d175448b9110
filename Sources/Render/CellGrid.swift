import Pixels

/// The colour of one side of a terminal cell, already reduced to what the terminal can show.
public enum CellColor: Hashable, Sendable {
    /// The terminal's default foreground or background.
    case terminalDefault
    /// 24-bit truecolour.
    case rgb(RGB)
    /// An index into the terminal's palette (0-15 for 16/8-colour, 0-255 for xterm-256).
    case indexed(UInt8)
}

/// One terminal cell: a glyph drawn in `foreground` over `background`.
///
/// Half-block rendering uses `▀` with the upper pixel as foreground and the lower pixel as
/// background, so each cell shows two vertically stacked pixels.
public struct Cell: Hashable, Sendable {
    public var glyph: Unicode.Scalar
    public var foreground: CellColor
    public var background: CellColor
    public init(glyph: Unicode.Scalar = " ",
                foreground: CellColor = .terminalDefault,
                background: CellColor = .terminalDefault) {
        self.glyph = glyph
        self.foreground = foreground
        self.background = background
    }
    /// An empty cell in the terminal's default colours.
    public static let blank = Cell()
}

/// A rectangle of terminal cells built from pixels.
///
/// `Render` produces grids and knows nothing of ncurses or stdout: the ANSI writer turns a
/// grid into escape sequences, the TUI turns the same grid into ncurses calls.
///
/// ```swift
/// var grid = CellGrid(width: 80, height: 24)
/// grid[0, 0] = Cell(glyph: "▀", foreground: .rgb(RGB(255, 0, 0)), background: .rgb(RGB(0, 0, 255)))
/// ```
public struct CellGrid: Hashable, Sendable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Row-major cells, `width * height` of them.
    public var cells: [Cell]

    /// A grid filled with `fill`.
    public init(width: Int, height: Int, fill: Cell = .blank) {
        precondition(width >= 0 && height >= 0, "negative grid size \(width)x\(height)")
        self.width = width
        self.height = height
        self.cells = [Cell](repeating: fill, count: width * height)
    }

    /// The cell at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Copies `other` into this grid with its top-left corner at (`x`, `y`), clipped to the grid.
    public mutating func paste(_ other: CellGrid, atX x: Int, y: Int) {
        for row in 0..<other.height {
            let ty = y + row
            guard ty >= 0 && ty < height else { continue }
            for col in 0..<other.width {
                let tx = x + col
                guard tx >= 0 && tx < width else { continue }
                self[tx, ty] = other[col, row]
            }
        }
    }
}
