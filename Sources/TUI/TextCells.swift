import Pixels
import Render

/// Colours of the explorer's text and frames (pictures bring their own).
enum Palette {
    static let titleBackground = CellColor.rgb(RGB(38, 50, 72))
    static let titleText = CellColor.rgb(RGB(230, 230, 230))
    static let highlightBackground = CellColor.rgb(RGB(230, 190, 60))
    static let highlightText = CellColor.rgb(RGB(0, 0, 0))
    static let dimText = CellColor.rgb(RGB(140, 140, 140))
    static let warningText = CellColor.rgb(RGB(240, 120, 80))
    static let helpBackground = CellColor.rgb(RGB(20, 24, 32))
}

extension CellGrid {
    /// Writes `text` from (`x`, `y`) on one row, cut at `maxWidth` columns and the grid's edge.
    /// Returns the column after the last character written.
    @discardableResult
    mutating func write(_ text: String, x: Int, y: Int, maxWidth: Int? = nil,
                        foreground: CellColor = .terminalDefault,
                        background: CellColor = .terminalDefault) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = Swift.min(width, x + (maxWidth ?? width))
        var column = x
        for scalar in text.unicodeScalars {
            guard column < limit else { break }
            if column >= 0 {
                self[column, y] = Cell(glyph: scalar, foreground: foreground, background: background)
            }
            column += 1
        }
        return column
    }

    /// Fills a rectangle with `cell`.
    mutating func fill(_ rect: Rect, with cell: Cell) {
        for y in Swift.max(0, rect.y)..<Swift.min(height, rect.y + rect.height) {
            for x in Swift.max(0, rect.x)..<Swift.min(width, rect.x + rect.width) {
                self[x, y] = cell
            }
        }
    }

    /// The characters of row `y`, for tests and the too-small message.
    public func text(row y: Int) -> String {
        String(String.UnicodeScalarView((0..<width).map { self[$0, y].glyph }))
    }

    /// Every row's characters joined by newlines.
    public var text: String { (0..<height).map { text(row: $0) }.joined(separator: "\n") }
}

/// Formats for numbers on screen.
extension String {
    /// The string right-aligned in `width` columns (unchanged when longer).
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

enum Format {
    static func percent(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
    static func signed(_ x: Int) -> String { x > 0 ? "+\(x)" : "\(x)" }
    static func alpha(_ a: Float) -> String {
        let tenths = Int((a * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
    static func decimal(_ x: Float, places: Int = 3) -> String {
        guard x.isFinite else { return "\(x)" }
        let scale = pow10(places)
        let v = (Double(x) * scale).rounded() / scale
        var s = "\(v)"
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < places { s += String(repeating: "0", count: places - decimals) }
        }
        return v >= 0 ? " " + s : s
    }
    static func seconds(_ s: Double) -> String {
        s < 1 ? "\(Int((s * 1000).rounded())) ms" : "\(Int((s * 10).rounded()) / 10).\(Int((s * 10).rounded()) % 10) s"
    }
    private static func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { x, _ in x * 10 } }
}
