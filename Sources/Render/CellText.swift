import Foundation

/// Writes text into cells, one character a cell, clipped to the grid; for legends, tick
/// labels and captions.
///
/// ```swift
/// var grid = CellGrid(width: 20, height: 1)
/// CellText.write("person 41.2%", into: &grid, x: 3, y: 0)
/// ```
public enum CellText {
    /// Writes `text` starting at column `x`, row `y`; returns the column after the last
    /// character written. Characters off the grid are dropped.
    @discardableResult
    public static func write(_ text: String, into grid: inout CellGrid, x: Int, y: Int,
                             foreground: CellColor = .terminalDefault,
                             background: CellColor = .terminalDefault) -> Int {
        var column = x
        guard y >= 0 && y < grid.height else { return x + text.unicodeScalars.count }
        for scalar in text.unicodeScalars {
            if column >= 0 && column < grid.width {
                let printable = scalar.value >= 0x20 && scalar.value != 0x7F ? scalar : "?"
                grid[column, y] = Cell(glyph: printable, foreground: foreground, background: background)
            }
            column += 1
        }
        return column
    }

    /// A number in at most `digits` significant digits, without trailing zeros
    /// (`0.25`, `-1.5`, `1200`, `3.1e-05`).
    public static func compact(_ value: Double, digits: Int = 3) -> String {
        if value == 0 { return "0" }
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        let magnitude = abs(value)
        if magnitude >= 1e5 || magnitude < 1e-3 {
            let exponent = Int((log10(magnitude)).rounded(.down))
            let mantissa = value / pow(10, Double(exponent))
            return compact(mantissa, digits: digits) + "e" + (exponent < 0 ? "-" : "+") + String(format: "%02d", abs(exponent))
        }
        let decimals = max(0, digits - 1 - Int(log10(magnitude).rounded(.down)))
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
