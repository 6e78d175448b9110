/// How a program shows pictures on this terminal: the protocol, the size of a character cell
/// in pixels (which sets the pixel size of every picture), and whether it runs inside tmux
/// (kitty then goes through Unicode placeholders and passthrough, iTerm through passthrough).
///
/// `decide` is pure: the caller gathers the facts (the environment, the bytes the terminal
/// sent back to `GraphicsProtocol.detectionQuery`, the window-size ioctl's pixel size) and
/// gets one value. Rules, first match wins:
///
/// 1. `override` (`--graphics kitty|sixel|iterm|cells`) -> that protocol.
/// 2. `TERM` unset, empty or `dumb`, `NO_COLOR` set and non-empty, or a locale that is not
///    UTF-8 -> cells, exactly as before pictures existed.
/// 3. Nothing asked (not a terminal: `replies` nil) or no DA1 reply within the timeout ->
///    cells. Every terminal answers DA1, so its absence means the terminal is unknown.
/// 4. Otherwise `GraphicsProtocol.choose` on the replies.
///
/// Cell size, first match: `--cell-size` (`cellSizeOverride`), the `CSI 16 t` reply
/// (`ESC [ 6 ; h ; w t`), the ioctl's `ws_xpixel` / `ws_ypixel` over the grid, else
/// `assumedCellSize` (10 x 20), each accepted only within `cellSizeRange`.
///
/// ```swift
/// let setup = GraphicsSetup.decide(environment: env, replies: bytes, windowPixels: (484, 316),
///                                  columns: 80, rows: 24, override: nil)
/// setup.graphics   // .sixel for xterm -ti vt340
/// setup.cellSize   // 6 x 13 from the ioctl
/// ```
public struct GraphicsSetup: Hashable, Sendable {
    /// Where the cell size came from.
    public enum CellSizeSource: String, Hashable, Sendable {
        /// The command line (`--cell-size`).
        case option
        /// The terminal's reply to `CSI 16 t`.
        case reply
        /// `TIOCGWINSZ`'s pixel size divided by the grid.
        case windowSize
        /// Nothing said: `assumedCellSize`.
        case assumed
    }

    /// The cell size used when nothing tells it: 10 x 20 pixels (`--width 80` -> 800 pixels).
    public static let assumedCellSize = CellPixelSize(width: 10, height: 20)
    /// The cell sizes believed, in pixels each way; anything else is taken for a bad reply.
    public static let cellSizeRange = 1...256
    /// How long to wait for the replies to `detectionQuery`, in milliseconds.
    public static let replyTimeoutMilliseconds = 150

    /// The protocol pictures are drawn with.
    public var graphics: GraphicsProtocol
    /// One character cell in pixels.
    public var cellSize: CellPixelSize
    /// Where `cellSize` came from.
    public var cellSizeSource: CellSizeSource
    /// Whether the program runs in a tmux pane (`TMUX` set).
    public var insideTmux: Bool

    public init(graphics: GraphicsProtocol, cellSize: CellPixelSize = GraphicsSetup.assumedCellSize,
                cellSizeSource: CellSizeSource = .assumed, insideTmux: Bool = false) {
        self.graphics = graphics
        self.cellSize = cellSize
        self.cellSizeSource = cellSizeSource
        self.insideTmux = insideTmux
    }

    /// Cells, the way every terminal is drawn without pictures.
    public static let cells = GraphicsSetup(graphics: .cells)

    /// Whether `size` is a believable cell size.
    public static func isPlausible(_ size: CellPixelSize) -> Bool {
        cellSizeRange.contains(size.width) && cellSizeRange.contains(size.height)
    }

    /// Whether the protocol choice needs the terminal's replies: false when `override` decides
    /// it and the cell size is given, or when the environment already means cells, so that no
    /// query is written in vain.
    public static func needsQuery(environment: [String: String], unicode: Bool, override: GraphicsProtocol?,
                                  cellSizeOverride: CellPixelSize? = nil) -> Bool {
        if let override { return override.drawsPixels && cellSizeOverride == nil }
        return !environmentMeansCells(environment, unicode: unicode)
    }

    /// Rule 2: the environment rules pictures out.
    static func environmentMeansCells(_ env: [String: String], unicode: Bool) -> Bool {
        let term = (env["TERM"] ?? "").lowercased()
        if term.isEmpty || term == "dumb" { return true }
        if let noColor = env["NO_COLOR"], !noColor.isEmpty { return true }
        return !unicode
    }

    /// The setup implied by the facts, by the rules above. `replies` is everything the terminal
    /// sent back (nil when nothing was asked); `windowPixels` the ioctl's `ws_xpixel`,
    /// `ws_ypixel` (zeros when the terminal does not fill them); `columns` x `rows` the grid;
    /// `unicode` whether the locale is UTF-8.
    /// `tmuxPassthrough`: inside tmux, whether it lets sequences through to the terminal.
    public static func decide(environment: [String: String], replies: [UInt8]?, windowPixels: (width: Int, height: Int)?,
                              columns: Int, rows: Int, unicode: Bool = true, override: GraphicsProtocol? = nil,
                              cellSizeOverride: CellPixelSize? = nil, tmuxPassthrough: Bool = false) -> GraphicsSetup {
        let text = replies.map { String(decoding: $0, as: UTF8.self) }
        let graphics: GraphicsProtocol
        if let override {
            graphics = override
        } else if environmentMeansCells(environment, unicode: unicode) {
            graphics = .cells
        } else if let text, DeviceAttributes.parse(text) != nil {
            graphics = GraphicsProtocol.choose(environment: environment, deviceAttributes: text, kittyReply: text, override: nil,
                                               tmuxPassthrough: tmuxPassthrough)
        } else {
            graphics = .cells
        }
        var setup = GraphicsSetup(graphics: graphics, insideTmux: TmuxPassthrough.isInside(environment: environment))
        if let size = cellSizeOverride, isPlausible(size) {
            (setup.cellSize, setup.cellSizeSource) = (size, .option)
        } else if let text, let size = CellPixelSize.parse(text), isPlausible(size) {
            (setup.cellSize, setup.cellSizeSource) = (size, .reply)
        } else if let pixels = windowPixels, columns > 0, rows > 0, pixels.width > 0, pixels.height > 0,
                  case let size = CellPixelSize(width: pixels.width / columns, height: pixels.height / rows), isPlausible(size) {
            (setup.cellSize, setup.cellSizeSource) = (size, .windowSize)
        }
        return setup
    }

    /// Whether `bytes` hold a complete DA1 reply: the last reply to `detectionQuery`, so
    /// reading can stop.
    public static func repliesAreComplete(_ bytes: [UInt8]) -> Bool {
        DeviceAttributes.parse(String(decoding: bytes, as: UTF8.self)) != nil
    }

    /// A cell's height over its width: how tall a cell is on screen.
    public var cellAspect: Double { Double(cellSize.height) / Double(cellSize.width) }

    /// A one-line account for the explorer's protocol panel: "sixel, 6x13-pixel cells (from
    /// the window size)", or "cells".
    public var summary: String {
        var text: String
        if graphics.drawsPixels {
            let source: String
            switch cellSizeSource {
            case .option: source = "from --cell-size"
            case .reply: source = "from CSI 16 t"
            case .windowSize: source = "from the window size"
            case .assumed: source = "assumed"
            }
            text = "\(graphics.rawValue), \(cellSize.width)x\(cellSize.height)-pixel cells (\(source))"
        } else {
            text = "cells"
        }
        if insideTmux { text += ", inside tmux" }
        return text
    }
}
