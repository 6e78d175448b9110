import CNCurses
import Render
#if canImport(Glibc)
import Glibc
#endif

/// Why the explorer cannot take over the terminal.
public struct TerminalError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The one place that talks to ncurses. It is created, used and ended on the UI thread only.
///
/// `draw(_:)` writes only the cells that differ from the previous frame, so a small change
/// (one alpha step) costs a few hundred bytes over SSH, not a screenful.
final class Terminal {
    /// Whether `▀` can be drawn (the locale's character set is UTF-8).
    let unicode: Bool
    let colours: TerminalColours
    private var previous: CellGrid?
    private var pairs: [Int: Int32] = [:]
    private var ended = false

    /// Takes over the terminal: checks that there is one, sets the locale, starts ncurses.
    init() throws {
        setlocale(LC_ALL, "")
        let term = getenv("TERM").map { String(cString: $0) } ?? ""
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            throw TerminalError("the explorer needs a terminal (stdin and stdout are not a tty); use `reclip render IMAGE` to print masks as ANSI text")
        }
        guard !term.isEmpty, term != "dumb" else {
            throw TerminalError("TERM=\(term.isEmpty ? "(unset)" : term) cannot draw the explorer; use `reclip render IMAGE` to print masks as ANSI text")
        }
        guard newterm(nil, reclip_stdout(), reclip_stdin()) != nil else {
            throw TerminalError("no terminfo entry for TERM=\(term); use `reclip render IMAGE` to print masks as ANSI text")
        }
        unicode = String(cString: nl_langinfo(nl_item(CODESET))) == "UTF-8"
        cbreak()
        noecho()
        nonl()
        keypad(reclip_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        timeout(50)
        if has_colors() {
            start_color()
            use_default_colors()
            colours = TerminalColours(colours: Int(reclip_colors()))
        } else {
            colours = TerminalColours(colours: 0)
        }
        mousemask(reclip_mouse_press_mask(), nil)
        mouseinterval(0)
    }

    /// Terminal size in cells.
    var size: (width: Int, height: Int) { (Int(getmaxx(reclip_stdscr())), Int(getmaxy(reclip_stdscr()))) }

    /// Makes the screen show `grid`, writing only the cells that changed since the last draw.
    func draw(_ grid: CellGrid) {
        let full = previous.map { $0.width != grid.width || $0.height != grid.height } ?? true
        if full { erase() }
        var cc = cchar_t()
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let cell = grid[x, y]
                if !full, let previous, previous[x, y] == cell { continue }
                var pair = pairNumber(cell)
                var text: [wchar_t] = [wchar_t(bitPattern: cell.glyph.value), 0]
                if !unicode && cell.glyph.value > 0x7e { text[0] = wchar_t(cell.glyph == "\u{2502}" ? 0x7c : 0x20) }
                setcchar(&cc, &text, 0, 0, &pair)
                mvadd_wch(Int32(y), Int32(x), &cc)
            }
        }
        previous = grid
        refresh()
    }

    /// Forgets the previous frame so that the next draw repaints everything (after a resize,
    /// or coming back from a suspend).
    func invalidate() {
        previous = nil
        clearok(reclip_curscr(), true)
    }

    private func pairNumber(_ cell: Cell) -> Int32 {
        let fg = colours.index(of: cell.foreground), bg = colours.index(of: cell.background)
        let key = (fg + 1) << 16 | (bg + 1)
        if let pair = pairs[key] { return pair }
        let pair = colours.mode == .none ? 0 : max(0, alloc_pair(Int32(fg), Int32(bg)))
        pairs[key] = pair
        return pair
    }

    /// The next input, waiting at most the input timeout (50 ms); `nil` when nothing came.
    func nextEvent() -> ExplorerEvent? {
        let c = getch()
        switch c {
        case ERR: return nil
        case KEY_RESIZE:
            invalidate()
            let s = size
            return .resize(width: s.width, height: s.height)
        case KEY_MOUSE:
            var event = MEVENT()
            guard getmouse(&event) == OK, reclip_is_press(event.bstate) != 0 else { return nil }
            return .click(x: Int(event.x), y: Int(event.y))
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_BTAB: return .key(.backTab)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_ENTER, 10, 13: return .key(.enter)
        case KEY_BACKSPACE, 127, 8: return .key(.backspace)
        case KEY_DC: return .key(.deleteForward)
        case 21: return .key(.killLine)
        case 9: return .key(.tab)
        case 27: return .key(.escape)
        case 32..<127: return .key(.character(Character(Unicode.Scalar(UInt8(c)))))
        default: return nil
        }
    }

    /// Gives the terminal back for a suspend (Ctrl-Z): `resume()` takes it again.
    func suspend() { endwin() }

    /// Takes the terminal back after a suspend and repaints everything.
    func resume() {
        invalidate()
        refresh()
    }

    /// Restores the terminal: normal modes, the main screen, the cursor. Safe to call twice.
    func end() {
        guard !ended else { return }
        ended = true
        curs_set(1)
        endwin()
    }
}
