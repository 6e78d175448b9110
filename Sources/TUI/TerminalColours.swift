import Render

/// How cell colours reach the terminal through ncurses colour pairs: palette indices for
/// 256, 16 or 8 colours, or none.
///
/// Truecolour is drawn through the xterm-256 palette on purpose: ncurses' direct-colour support
/// depends on `TERM=xterm-direct` terminfo entries that few systems set, while 256 colours work
/// on every modern terminal and through tmux and SSH unchanged. The nearest palette entry is
/// Render's `PaletteQuantizer` choice, so the explorer and `reclip render` agree.
struct TerminalColours {
    let mode: ColorMode
    private let quantizer: PaletteQuantizer

    /// The mapping for a terminal reporting `colours` colours.
    init(colours: Int) {
        switch colours {
        case 256...: mode = .xterm256
        case 16...: mode = .ansi16
        case 8...: mode = .ansi8
        default: mode = .none
        }
        quantizer = PaletteQuantizer(mode: mode == .none ? .xterm256 : mode)
    }

    /// The palette index of a cell colour; -1 is the terminal's default.
    func index(of colour: CellColor) -> Int {
        guard mode != .none else { return -1 }
        switch colour {
        case .terminalDefault: return -1
        case .rgb(let rgb): return Int(quantizer.index(rgb))
        case .indexed(let i):
            let limit = mode == .ansi8 ? 8 : (mode == .ansi16 ? 16 : 256)
            return Int(i) < limit ? Int(i) : Int(quantizer.index(TerminalPalette.color(i)))
        }
    }
}
