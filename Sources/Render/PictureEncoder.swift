import Pixels

/// One picture, already composed at its pixel size, as the bytes of the chosen protocol for a
/// box of `columns` x `rows` cells at the cursor: sixel (`SixelEncoder`), kitty
/// (`KittyGraphicsEncoder`, scaled to the cells; inside tmux a transmission for Unicode
/// placeholders wrapped for passthrough), iTerm2 (`ITermImageEncoder`, the cells as its
/// size, wrapped for tmux inside tmux). Cells have no bytes here: `CellCanvas` draws them.
///
/// ```swift
/// let encoder = PictureEncoder(graphics: .sixel)
/// let bytes = try encoder.encode(panel, columns: 40, rows: 20, imageID: 1)
/// ```
public struct PictureEncoder: Hashable, Sendable {
    /// The protocol; `.cells` encodes nothing.
    public var graphics: GraphicsProtocol
    /// Whether the bytes go through tmux (kitty placeholders and passthrough, iTerm passthrough).
    public var insideTmux: Bool
    /// How kitty pixels travel: raw RGB (no encoding work) or PNG (smaller, e.g. over ssh).
    public var kittyFormat: KittyGraphicsEncoder.Format
    /// Whether the cursor moves past the picture (a command printing it) or stays (a
    /// full-screen program, which keeps its idea of the cursor): kitty's `C=1`.
    public var movesCursor: Bool
    /// The sixel palette's size, 1...256.
    public var sixelColors: Int
    /// Whether kitty PNGs favour speed over size (a panel redrawn on every key).
    public var fastPNG = false

    public init(graphics: GraphicsProtocol, insideTmux: Bool = false, kittyFormat: KittyGraphicsEncoder.Format = .rgb,
                movesCursor: Bool = false, sixelColors: Int = 256) {
        self.graphics = graphics
        self.insideTmux = insideTmux
        self.kittyFormat = kittyFormat
        self.movesCursor = movesCursor
        self.sixelColors = sixelColors
    }

    /// Whether kitty pictures are shown through Unicode placeholder text (inside tmux): the
    /// caller then draws `KittyPlaceholder` cells where the picture goes.
    public var usesPlaceholders: Bool { graphics == .kitty && insideTmux }

    /// The bytes that show `image` over `columns` x `rows` cells at the cursor (for
    /// placeholders: the transmission only). `imageID` names the kitty image, so that sending
    /// again under the same id replaces it.
    public func encode(_ image: RGBImage, columns: Int, rows: Int, imageID: UInt32) throws -> [UInt8] {
        switch graphics {
        case .cells:
            return []
        case .sixel:
            return try SixelEncoder(maxColors: sixelColors).encode(image)
        case .kitty:
            let kitty = KittyGraphicsEncoder(format: kittyFormat, tmuxPassthrough: insideTmux, movesCursor: movesCursor,
                                             fastPNG: fastPNG)
            if usesPlaceholders {
                return try kitty.transmitForPlaceholders(image, placement: KittyPlacement(imageID: imageID, columns: columns, rows: rows))
            }
            return try kitty.display(image, placement: KittyPlacement(imageID: imageID, placementID: 1, columns: columns, rows: rows))
        case .iterm:
            return try ITermImageEncoder(width: .cells(columns), height: .cells(rows), tmuxPassthrough: insideTmux).encode(image)
        }
    }

    /// The bytes that remove kitty image `imageID` and free its pixels (nothing for the other
    /// protocols, whose pictures text overwrites).
    public func delete(imageID: UInt32) -> [UInt8] {
        guard graphics == .kitty else { return [] }
        return (try? KittyGraphicsEncoder(tmuxPassthrough: insideTmux).delete(imageID: imageID, freeData: true)) ?? []
    }

    /// `bytes` written at cell (`column`, `row`) (0-based) with the cursor and its attributes
    /// saved before and restored after (DECSC / DECRC), so a full-screen program's idea of the
    /// cursor stays true whatever the picture does to it.
    public static func positioned(_ bytes: [UInt8], column: Int, row: Int) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        return Array("\u{1B}7\u{1B}[\(row + 1);\(column + 1)H".utf8) + bytes + Array("\u{1B}8".utf8)
    }

    /// Blanks `columns` x `rows` cells from cell (`column`, `row`) in the default colours (ECH,
    /// `CSI n X`, on each row), the cursor and attributes saved and restored: what takes a
    /// sixel or iTerm picture off the screen (they stay until text covers them), written
    /// where a full-screen program believes the cells are blank already.
    public static func erase(column: Int, row: Int, columns: Int, rows: Int) -> [UInt8] {
        guard columns > 0, rows > 0 else { return [] }
        var text = "\u{1B}7\u{1B}[0m"
        for y in row..<(row + rows) { text += "\u{1B}[\(y + 1);\(column + 1)H\u{1B}[\(columns)X" }
        return Array((text + "\u{1B}8").utf8)
    }
}
