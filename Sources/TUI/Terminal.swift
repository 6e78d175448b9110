import CNCurses
import CTerminalGuard
import Foundation
import Render
#if canImport(Glibc)
import Glibc
#endif

/// Why the explorer cannot take over the terminal.
public struct TerminalError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The one place that talks to ncurses and writes to the terminal. It is created, used and
/// ended on the UI thread only.
///
/// `draw(_:)` writes only the cells that differ from the previous frame, so a small change
/// (one alpha step) costs a few hundred bytes over SSH, not a screenful. With a graphics
/// protocol, the picture panels go as pixels after ncurses' refresh, each only when it
/// changed (`GraphicsScreen`); the cells under them stay blank (or, for kitty inside tmux,
/// hold the Unicode placeholders that show the picture).
final class Terminal {
    /// Whether `▀` can be drawn (the locale's character set is UTF-8).
    let unicode: Bool
    let colours: TerminalColours
    /// How pictures are shown, detected before ncurses started.
    let setup: GraphicsSetup
    private var previous: CellGrid?
    private var pairs: [Int: Int32] = [:]
    private var ended = false
    private var graphics: GraphicsScreen
    /// The resampled photo and the masks kept from frame to frame.
    private let cache = FrameCache()
    /// Set by a resize until the next draw (kitty images are deleted then).
    private var resized = false
    /// The placeholder cells of the last frame (kitty inside tmux), rewritten when they go.
    private var placeholderAreas: [Rect] = []
    /// Bytes written outside ncurses (the pictures), for `reclip bench`-style measurements.
    private(set) var pictureBytes = 0

    /// Takes over the terminal: checks that there is one, sets the locale, asks the terminal
    /// how it shows pictures (`TerminalQuery.detectGraphics`, raw mode for at most 150 ms,
    /// before ncurses), starts ncurses. `graphics` overrides the detected protocol;
    /// `cellSize` the cell's pixel size.
    init(graphics override: GraphicsProtocol? = nil, cellSize: CellPixelSize? = nil) throws {
        setlocale(LC_ALL, "")
        let term = getenv("TERM").map { String(cString: $0) } ?? ""
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            throw TerminalError("the explorer needs a terminal (stdin and stdout are not a tty); use `reclip render IMAGE` to print masks as ANSI text")
        }
        guard !term.isEmpty, term != "dumb" else {
            throw TerminalError("TERM=\(term.isEmpty ? "(unset)" : term) cannot draw the explorer; use `reclip render IMAGE` to print masks as ANSI text")
        }
        unicode = String(cString: nl_langinfo(nl_item(CODESET))) == "UTF-8"
        // From here to `end()` a crash, a trap or a stray exit puts the terminal back as it is now.
        _ = reclip_terminal_guard_arm(STDOUT_FILENO)
        var setup = Terminal.detect(override: override, cellSize: cellSize, unicode: unicode)
        guard newterm(nil, reclip_stdout(), reclip_stdin()) != nil else {
            reclip_terminal_guard_disarm()
            throw TerminalError("no terminfo entry for TERM=\(term); use `reclip render IMAGE` to print masks as ANSI text")
        }
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
        // Placeholders name their image with a 256-colour foreground and need UTF-8 cells.
        if setup.graphics == .kitty && setup.insideTmux && (colours.mode != .xterm256 && colours.mode != .truecolor || !unicode) {
            setup.graphics = .cells
        }
        self.setup = setup
        self.graphics = GraphicsScreen(setup: setup, kittyFormat: Terminal.kittyFormat(ProcessInfo.processInfo.environment))
    }

    /// How kitty pictures travel: raw RGB on this machine (no encoding work, the bytes are
    /// cheap), PNG over ssh (`SSH_CONNECTION` or `SSH_TTY` set), where the bytes are what costs.
    static func kittyFormat(_ environment: [String: String]) -> KittyGraphicsEncoder.Format {
        (environment["SSH_CONNECTION"] ?? environment["SSH_TTY"] ?? "").isEmpty ? .rgb : .png
    }

    /// The detection on the controlling terminal (`/dev/tty`, else stdin), with the process's
    /// environment.
    static func detect(override: GraphicsProtocol?, cellSize: CellPixelSize?, unicode: Bool) -> GraphicsSetup {
        let environment = ProcessInfo.processInfo.environment
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY)
        defer { if tty >= 0 { close(tty) } }
        return TerminalQuery.detectGraphics(fd: tty >= 0 ? tty : STDIN_FILENO, environment: environment, unicode: unicode,
                                            override: override, cellSizeOverride: cellSize)
    }

    /// Terminal size in cells.
    var size: (width: Int, height: Int) { (Int(getmaxx(reclip_stdscr())), Int(getmaxy(reclip_stdscr()))) }

    /// Makes the screen show `frame`: its grid, writing only the cells that changed since the
    /// last draw, then its pixel panels, each only when it changed.
    func draw(_ given: ExplorerFrame) {
        let frame = ExplorerFrame(state: given.state, cache: cache)
        let panels = frame.pixelPanels
        let full = previous.map { $0.width != frame.state.width || $0.height != frame.state.height } ?? true
        let step = graphics.update(panels, screenCleared: full || resized, resized: resized) { frame.pixels(for: $0) }
        resized = false
        let placeholders = graphics.placeholders(for: panels)
        // Sixel and iTerm pictures that went away are blanked before ncurses's refresh.
        writePictures(graphics.erasing(step.plan))
        draw(frame.grid, forced: placeholderAreas, placeholders: placeholders)
        placeholderAreas = placeholders.map(\.cells)
        writePictures(step.bytes)
    }

    /// Makes the screen show `grid`, writing only the cells that changed since the last draw,
    /// and every cell of `forced` (where a picture was); then the kitty placeholder cells.
    func draw(_ grid: CellGrid, forced: [Rect] = [], placeholders: [(cells: Rect, placeholder: KittyPlaceholder)] = []) {
        let full = previous.map { $0.width != grid.width || $0.height != grid.height } ?? true
        if full { erase() }
        var cc = cchar_t()
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let cell = grid[x, y]
                if !full, let previous, previous[x, y] == cell, !forced.contains(where: { $0.contains(x, y) }) { continue }
                var pair = pairNumber(cell)
                var text: [wchar_t] = [wchar_t(bitPattern: cell.glyph.value), 0]
                if !unicode && cell.glyph.value > 0x7e { text[0] = wchar_t(cell.glyph == "\u{2502}" ? 0x7c : 0x20) }
                setcchar(&cc, &text, 0, 0, &pair)
                mvadd_wch(Int32(y), Int32(x), &cc)
            }
        }
        for (area, placeholder) in placeholders {
            var pair = placeholderPair(placeholder.imageID)
            for row in 0..<area.height {
                let scalars = Array(placeholder.text(row: row).unicodeScalars)
                let per = scalars.count / max(1, area.width)
                for column in 0..<area.width where per > 0 {
                    var text = scalars[(column * per)..<((column + 1) * per)].map { wchar_t(bitPattern: $0.value) } + [0]
                    setcchar(&cc, &text, 0, 0, &pair)
                    mvadd_wch(Int32(area.y + row), Int32(area.x + column), &cc)
                }
            }
        }
        previous = grid
        refresh()
    }

    /// Writes picture bytes after ncurses' output, through the same stream.
    private func writePictures(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let out = reclip_stdout()
        bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, out) }
        fflush(out)
        pictureBytes += bytes.count
    }

    private var placeholderPairs: [UInt32: Int32] = [:]

    /// The colour pair whose foreground is a placeholder's image id (a 256-colour index).
    private func placeholderPair(_ id: UInt32) -> Int32 {
        if let pair = placeholderPairs[id] { return pair }
        let pair = max(0, alloc_pair(Int32(id & 255), -1))
        placeholderPairs[id] = pair
        return pair
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
            resized = true
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
        case 27: return droppedTerminalReply() ? nil : .key(.escape)
        case 32..<127: return .key(.character(Character(Unicode.Scalar(UInt8(c)))))
        default: return nil
        }
    }

    /// Longest escape sequence read and dropped (a terminal's reply is far shorter).
    static let longestReply = 4096

    /// After an ESC: whether what follows at once is an escape sequence, read and dropped,
    /// rather than the Escape key. Terminals answer the picture queries (`TerminalQuery`) with
    /// ESC _ ... ESC \ (APC: kitty's graphics reply), ESC P ... ESC \ (DCS), ESC [ ? ... c
    /// (device attributes) and ESC [ ... t (sizes); one that answers after the query's 150 ms
    /// wait would otherwise be read as keys (DA1's "4" and "c": the overlay view and the next
    /// class). A keyboard sequence ncurses does not know (a CSI) is dropped as well, which is
    /// better than reading its bytes as keys. Escape followed by a key (Alt) keeps the key.
    func droppedTerminalReply() -> Bool {
        timeout(0)
        defer { timeout(50) }
        let next = getch()
        switch next {
        case ERR:
            return false   // the Escape key alone
        case 0x5F, 0x50:   // "_" APC, "P" DCS: to ST (ESC \) or BEL
            var previous: Int32 = 0
            for _ in 0..<Self.longestReply {
                let c = getch()
                if c == ERR || c == 7 || (previous == 27 && c == 0x5C) { break }
                previous = c
            }
            return true
        case 0x5B:         // "[" CSI: parameters and intermediates, then one final byte
            for _ in 0..<Self.longestReply {
                let c = getch()
                if c == ERR || (0x40...0x7E).contains(c) { break }
            }
            return true
        default:
            ungetch(next)
            return false
        }
    }

    /// Gives the terminal back for a suspend (Ctrl-Z): the pictures taken off (kitty's deleted
    /// by id, sixel and iTerm cells blanked), then ncurses ended; `resume()` takes it again.
    func suspend() {
        writePictures(graphics.removeAll())
        endwin()
    }

    /// Takes the terminal back after a suspend and repaints everything.
    func resume() {
        invalidate()
        refresh()
    }

    /// Restores the terminal: normal modes, the main screen, the cursor. Safe to call twice.
    func end() {
        guard !ended else { return }
        ended = true
        writePictures(graphics.removeAll())
        curs_set(1)
        endwin()
        reclip_terminal_guard_disarm()
    }
}
