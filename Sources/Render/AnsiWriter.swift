/// Turns a `CellGrid` into ANSI text: SGR colour sequences and glyphs, one line per row.
///
/// Colours are emitted only when they change (foreground and background in one SGR), a
/// space's foreground and a full block's background are never set since they do not show,
/// a `▀` whose halves match is written as a space, and a `▀` is written as `▄` with its
/// colours swapped when that needs fewer changes. Each line that set a colour ends with
/// `ESC[0m` so nothing bleeds past it.
///
/// ```swift
/// let text = AnsiWriter().string(grid)   // "\u{1B}[38;2;255;0;0;48;2;0;0;255m▀\u{1B}[0m\n"
/// ```
public struct AnsiWriter: Sendable {
    public init() {}

    /// The grid as ANSI text, each row ending in a newline.
    public func string(_ grid: CellGrid) -> String {
        String(decoding: bytes(grid), as: UTF8.self)
    }

    /// The grid as UTF-8 bytes of ANSI text.
    public func bytes(_ grid: CellGrid) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(grid.width * grid.height * 24 + grid.height * 8)
        for row in 0..<grid.height {
            var fg = CellColor.terminalDefault, bg = CellColor.terminalDefault
            var sgr: [UInt8] = []
            for x in 0..<grid.width {
                var cell = grid.cells[row * grid.width + x]
                if cell.glyph == "▀" {
                    if cell.foreground == cell.background {
                        cell = Cell(glyph: " ", foreground: cell.foreground, background: cell.background)
                    } else {
                        // `▄` with the colours swapped shows the same pixels; take it when it
                        // needs fewer colour changes.
                        let upper = cell.foreground, lower = cell.background
                        let asIs = (upper != fg ? 1 : 0) + (lower != bg ? 1 : 0)
                        let swapped = (lower != fg ? 1 : 0) + (upper != bg ? 1 : 0)
                        if swapped < asIs { cell = Cell(glyph: "▄", foreground: lower, background: upper) }
                    }
                }
                let needsForeground = cell.glyph != " "
                let needsBackground = cell.glyph != "█"
                sgr.removeAll(keepingCapacity: true)
                if needsForeground && cell.foreground != fg {
                    AnsiWriter.appendColor(cell.foreground, foreground: true, to: &sgr)
                    fg = cell.foreground
                }
                if needsBackground && cell.background != bg {
                    if !sgr.isEmpty { sgr.append(UInt8(ascii: ";")) }
                    AnsiWriter.appendColor(cell.background, foreground: false, to: &sgr)
                    bg = cell.background
                }
                if !sgr.isEmpty {
                    out.append(0x1B); out.append(UInt8(ascii: "["))
                    out.append(contentsOf: sgr)
                    out.append(UInt8(ascii: "m"))
                }
                AnsiWriter.appendUTF8(cell.glyph, to: &out)
            }
            if fg != .terminalDefault || bg != .terminalDefault {
                out.append(contentsOf: [0x1B, UInt8(ascii: "["), UInt8(ascii: "0"), UInt8(ascii: "m")])
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// SGR parameters for one colour: 38;2;r;g;b / 48;2;r;g;b, 30-37 / 40-47, 90-97 /
    /// 100-107, 38;5;n / 48;5;n, 39 / 49.
    static func appendColor(_ color: CellColor, foreground: Bool, to out: inout [UInt8]) {
        switch color {
        case .terminalDefault:
            appendNumber(foreground ? 39 : 49, to: &out)
        case .rgb(let c):
            appendNumber(foreground ? 38 : 48, to: &out)
            out.append(contentsOf: [UInt8(ascii: ";"), UInt8(ascii: "2"), UInt8(ascii: ";")])
            appendNumber(Int(c.r), to: &out); out.append(UInt8(ascii: ";"))
            appendNumber(Int(c.g), to: &out); out.append(UInt8(ascii: ";"))
            appendNumber(Int(c.b), to: &out)
        case .indexed(let i):
            if i < 8 {
                appendNumber((foreground ? 30 : 40) + Int(i), to: &out)
            } else if i < 16 {
                appendNumber((foreground ? 90 : 100) + Int(i) - 8, to: &out)
            } else {
                appendNumber(foreground ? 38 : 48, to: &out)
                out.append(contentsOf: [UInt8(ascii: ";"), UInt8(ascii: "5"), UInt8(ascii: ";")])
                appendNumber(Int(i), to: &out)
            }
        }
    }

    @inline(__always)
    static func appendNumber(_ n: Int, to out: inout [UInt8]) {
        if n >= 100 { out.append(UInt8(48 + n / 100)) }
        if n >= 10 { out.append(UInt8(48 + (n / 10) % 10)) }
        out.append(UInt8(48 + n % 10))
    }

    @inline(__always)
    static func appendUTF8(_ s: Unicode.Scalar, to out: inout [UInt8]) {
        let v = s.value
        if v < 0x80 { out.append(UInt8(v)); return }
        if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F))); return
        }
        if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F))); return
        }
        out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
    }
}
