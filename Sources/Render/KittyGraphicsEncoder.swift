import Pixels

/// Where and as what a kitty image is shown: its image id (`i=`), an optional placement id
/// (`p=`) and the size in cells it is scaled to (`c=` columns, `r=` rows; either may be left
/// to the terminal, which keeps the aspect ratio).
///
/// Sending an image again under the same image id replaces the old one and its placements,
/// and a placement with the same image and placement id replaces the earlier one, so a panel
/// that keeps its ids redraws in place.
public struct KittyPlacement: Hashable, Sendable {
    /// The image id, 1...4294967295.
    public var imageID: UInt32
    /// The placement id, 1...4294967295, or nil for none.
    public var placementID: UInt32?
    /// Columns the image is scaled to, or nil.
    public var columns: Int?
    /// Rows the image is scaled to, or nil.
    public var rows: Int?

    public init(imageID: UInt32, placementID: UInt32? = nil, columns: Int? = nil, rows: Int? = nil) {
        self.imageID = imageID
        self.placementID = placementID
        self.columns = columns
        self.rows = rows
    }
}

/// Encodes kitty graphics protocol commands (kitty, Ghostty, Konsole, WezTerm with
/// `enable_kitty_graphics`): `ESC _ G <key=value,...> ; <base64 payload> ESC \`.
///
/// Transmit and display (`display`): `a=T`, the format `f=24` (raw RGB, with `s=` width and
/// `v=` height) or `f=100` (PNG, through `PNGCodec`), `i=`, `p=`, `c=`, `r=`, `C=1` (the
/// cursor stays put, so a full-screen program keeps its idea of the cursor) and `q=2` (no
/// replies, which would otherwise arrive as input). The base64 payload is cut into chunks of
/// at most 4096 bytes, each a multiple of 4 but the last: the first escape carries the keys
/// and `m=1`, later ones only `m=1` (or `m=0` on the last) and `q=2`. A payload that fits one
/// chunk is sent in one escape without `m`.
///
/// Unicode placeholders (`transmitForPlaceholders` + `KittyPlaceholder`): the same
/// transmission with `U=1` and both `c=` and `r=` makes a virtual placement, shown wherever
/// the text contains U+10EEEE cells whose foreground colour is the image id; this survives
/// tmux, which moves the text around and passes the transmission on when `tmuxPassthrough`
/// wraps it (`TmuxPassthrough`).
///
/// Delete (`delete`): `a=d,d=i,i=<id>` (placements only; `d=I` frees the data too).
///
/// ```swift
/// let kitty = KittyGraphicsEncoder(format: .rgb)
/// let bytes = try kitty.display(panel, placement: KittyPlacement(imageID: 7, placementID: 1, columns: 40, rows: 20))
/// ```
public struct KittyGraphicsEncoder: Hashable, Sendable {
    /// How the pixels travel.
    public enum Format: Hashable, Sendable {
        /// Raw 8-bit RGB, `f=24`: no encoding work, 4 base64 bytes per pixel.
        case rgb
        /// PNG, `f=100`: smaller over a network, costs a PNG encode.
        case png

        /// The `f=` value.
        public var code: Int { self == .rgb ? 24 : 100 }
    }

    /// The largest base64 chunk the protocol allows in one escape.
    public static let maxChunkSize = 4096
    /// The largest width or height kitty accepts.
    public static let maxSide = 10000
    /// The largest image encoded by default: 16 megapixels.
    public static let defaultMaxPixels = 4096 * 4096
    /// The most rows or columns a Unicode placeholder can number (the diacritics table).
    public static let maxPlaceholderCells = KittyDiacritics.codePoints.count
    /// The image id of the support query (`queryString`), as in kitty's documentation.
    public static let queryImageID: UInt32 = 31

    /// How the pixels travel.
    public var format: Format
    /// Whether each escape is wrapped for tmux's passthrough.
    public var tmuxPassthrough: Bool
    /// Whether the terminal is asked not to reply (`q=2`).
    public var quiet: Bool
    /// Whether the cursor moves past the image (no `C=1`).
    public var movesCursor: Bool
    /// Base64 bytes per escape, a multiple of 4 in 4...4096.
    public var chunkSize: Int
    /// For `.png`, whether libpng favours speed over size (about 6x faster, 2x larger).
    public var fastPNG: Bool
    /// The largest image accepted, in pixels.
    public var maxPixels: Int

    public init(format: Format = .rgb, tmuxPassthrough: Bool = false, quiet: Bool = true,
                movesCursor: Bool = false, chunkSize: Int = KittyGraphicsEncoder.maxChunkSize,
                fastPNG: Bool = false, maxPixels: Int = KittyGraphicsEncoder.defaultMaxPixels) {
        self.format = format
        self.tmuxPassthrough = tmuxPassthrough
        self.quiet = quiet
        self.movesCursor = movesCursor
        self.chunkSize = chunkSize
        self.fastPNG = fastPNG
        self.maxPixels = maxPixels
    }

    /// Transmits `image` and shows it at the cursor (`a=T`), scaled to the placement's cells.
    public func display(_ image: RGBImage, placement: KittyPlacement) throws -> [UInt8] {
        try transmit(image, placement: placement, virtual: false)
    }

    /// Transmits `image` and makes a virtual placement of `columns` x `rows` cells for Unicode
    /// placeholders (`a=T,U=1`); draw `KittyPlaceholder` text to show it.
    public func transmitForPlaceholders(_ image: RGBImage, placement: KittyPlacement) throws -> [UInt8] {
        guard let columns = placement.columns, let rows = placement.rows else {
            throw RenderError(file: "kitty image", .invalidArgument("a placeholder placement needs both columns and rows"))
        }
        try KittyPlaceholder.validate(columns: columns, rows: rows)
        return try transmit(image, placement: placement, virtual: true)
    }

    /// Deletes the placements of image `imageID` (only placement `placementID` if given):
    /// `a=d,d=i,i=<id>`; with `freeData`, `d=I`, which also frees the stored pixels.
    public func delete(imageID: UInt32, placementID: UInt32? = nil, freeData: Bool = false) throws -> [UInt8] {
        try KittyGraphicsEncoder.validate(placement: KittyPlacement(imageID: imageID, placementID: placementID))
        var keys = "a=d,d=\(freeData ? "I" : "i"),i=\(imageID)"
        if let placementID { keys += ",p=\(placementID)" }
        if quiet { keys += ",q=2" }
        return wrapped(KittyGraphicsEncoder.command(keys, payload: []))
    }

    /// The support query of kitty's documentation: a 1x1 RGB image under id 31 with `a=q`
    /// (checked, never stored). A terminal speaking the protocol answers
    /// `ESC _ G i=31;OK ESC \` (`KittyGraphicsReply`); send `DeviceAttributes.query` right
    /// after it, since every terminal answers that.
    public static func queryString(tmuxPassthrough: Bool = false) -> [UInt8] {
        let query = command("i=\(queryImageID),s=1,v=1,a=q,t=d,f=24", payload: Array("AAAA".utf8))
        return tmuxPassthrough ? TmuxPassthrough.wrap(query) : query
    }

    // MARK: - Encoding

    private func transmit(_ image: RGBImage, placement: KittyPlacement, virtual: Bool) throws -> [UInt8] {
        try validate(image)
        try KittyGraphicsEncoder.validate(placement: placement)
        guard chunkSize >= 4 && chunkSize <= KittyGraphicsEncoder.maxChunkSize && chunkSize % 4 == 0 else {
            throw RenderError(file: "kitty image", .invalidArgument(
                "a kitty chunk holds a multiple of 4 base64 bytes up to \(KittyGraphicsEncoder.maxChunkSize), not \(chunkSize)"))
        }
        let data: [UInt8]
        var keys = "a=T,f=\(format.code)"
        switch format {
        case .rgb:
            data = image.pixels
            keys += ",s=\(image.width),v=\(image.height)"
        case .png:
            data = try PNGCodec.encode(image, name: "kitty image", fast: fastPNG)
        }
        keys += ",i=\(placement.imageID)"
        if let p = placement.placementID { keys += ",p=\(p)" }
        if let c = placement.columns { keys += ",c=\(c)" }
        if let r = placement.rows { keys += ",r=\(r)" }
        if virtual { keys += ",U=1" }
        if !movesCursor { keys += ",C=1" }
        if quiet { keys += ",q=2" }

        let payload = Base64.encode(data)
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + (payload.count / chunkSize + 1) * 40)
        if payload.count <= chunkSize {
            out.append(contentsOf: wrapped(KittyGraphicsEncoder.command(keys, payload: payload[...])))
            return out
        }
        var start = 0
        while start < payload.count {
            let end = min(payload.count, start + chunkSize)
            let more = end < payload.count ? 1 : 0
            let chunkKeys = start == 0 ? keys + ",m=1" : "m=\(more)" + (quiet ? ",q=2" : "")
            out.append(contentsOf: wrapped(KittyGraphicsEncoder.command(chunkKeys, payload: payload[start..<end])))
            start = end
        }
        return out
    }

    /// `ESC _ G keys ; payload ESC \` (no `;` without a payload).
    static func command<C: Collection>(_ keys: String, payload: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = [0x1B, UInt8(ascii: "_"), UInt8(ascii: "G")]
        out.append(contentsOf: Array(keys.utf8))
        if !payload.isEmpty {
            out.append(UInt8(ascii: ";"))
            out.append(contentsOf: payload)
        }
        out.append(contentsOf: [0x1B, UInt8(ascii: "\\")])
        return out
    }

    private func wrapped(_ sequence: [UInt8]) -> [UInt8] {
        tmuxPassthrough ? TmuxPassthrough.wrap(sequence) : sequence
    }

    private func validate(_ image: RGBImage) throws {
        let (w, h) = (image.width, image.height)
        guard w > 0 && h > 0 else {
            throw RenderError(file: "kitty image", .invalidArgument("a kitty image needs at least 1x1 pixels, not \(w)x\(h)"))
        }
        guard w <= KittyGraphicsEncoder.maxSide && h <= KittyGraphicsEncoder.maxSide else {
            throw RenderError(file: "kitty image", .invalidArgument(
                "image is \(w)x\(h) pixels, over kitty's limit of \(KittyGraphicsEncoder.maxSide) pixels a side"))
        }
        guard w * h <= maxPixels else {
            throw RenderError(file: "kitty image", .tooLarge(width: w, height: h, limit: maxPixels))
        }
    }

    static func validate(placement: KittyPlacement) throws {
        guard placement.imageID != 0 else {
            throw RenderError(file: "kitty image", .invalidArgument("a kitty image id is 1 to 4294967295, not 0"))
        }
        if placement.placementID == 0 {
            throw RenderError(file: "kitty image", .invalidArgument("a kitty placement id is 1 to 4294967295, not 0"))
        }
        for (name, value) in [("columns", placement.columns), ("rows", placement.rows)] {
            if let value, value < 1 || value > KittyGraphicsEncoder.maxSide {
                throw RenderError(file: "kitty image", .invalidArgument(
                    "a kitty placement spans 1 to \(KittyGraphicsEncoder.maxSide) \(name), not \(value)"))
            }
        }
    }
}

/// The text that shows a kitty image through a Unicode-placeholder virtual placement
/// (`KittyGraphicsEncoder.transmitForPlaceholders`): every cell is U+10EEEE followed by the
/// diacritic of its row and of its column (and, for image ids of 2^24 and above, of the id's
/// top byte), drawn with the image id as the foreground colour (24-bit `38;2;r;g;b` with
/// r, g, b the id's bytes 2, 1, 0; or, for `indexedColor`, the 256-colour `38;5;n` with n
/// the id's low byte, which needs bytes 1 and 2 zero) and, if there is a placement id, the
/// placement id as the underline colour (`58;2;...`).
///
/// Host programs such as tmux treat the cells as ordinary text. Ids below 256 with
/// `indexedColor` can be drawn through any 256-colour pair (e.g. ncurses with the id as the
/// foreground colour number and `text(row:)` as the characters).
///
/// ```swift
/// let cells = try KittyPlaceholder(imageID: 42, columns: 2, rows: 2, indexedColor: true)
/// cells.line(0)   // ESC[38;5;42m U+10EEEE U+0305 U+0305 U+10EEEE U+0305 U+030D ESC[39m
/// ```
public struct KittyPlaceholder: Hashable, Sendable {
    /// The placeholder character.
    public static let character: Unicode.Scalar = "\u{10EEEE}"

    /// The image id (the foreground colour).
    public let imageID: UInt32
    /// The placement id (the underline colour), or nil.
    public let placementID: UInt32?
    /// Cells across.
    public let columns: Int
    /// Cells down.
    public let rows: Int
    /// Whether the id is written as a 256-colour index rather than 24-bit colour.
    public let indexedColor: Bool

    public init(imageID: UInt32, placementID: UInt32? = nil, columns: Int, rows: Int, indexedColor: Bool = false) throws {
        try KittyGraphicsEncoder.validate(placement: KittyPlacement(imageID: imageID, placementID: placementID))
        try KittyPlaceholder.validate(columns: columns, rows: rows)
        if indexedColor && (imageID >> 8) & 0xFFFF != 0 {
            throw RenderError(file: "kitty image", .invalidArgument(
                "image id \(imageID) does not fit a 256-colour foreground (bytes 1 and 2 must be zero)"))
        }
        self.imageID = imageID
        self.placementID = placementID
        self.columns = columns
        self.rows = rows
        self.indexedColor = indexedColor
    }

    static func validate(columns: Int, rows: Int) throws {
        let limit = KittyGraphicsEncoder.maxPlaceholderCells
        guard (1...limit).contains(columns) && (1...limit).contains(rows) else {
            throw RenderError(file: "kitty image", .invalidArgument(
                "a placeholder grid is 1 to \(limit) cells each way, not \(columns)x\(rows)"))
        }
    }

    /// The foreground colour that names the image.
    public var foreground: CellColor {
        indexedColor ? .indexed(UInt8(imageID & 255))
            : .rgb(RGB(UInt8((imageID >> 16) & 255), UInt8((imageID >> 8) & 255), UInt8(imageID & 255)))
    }

    /// The underline colour that names the placement, if any.
    public var underline: RGB? {
        placementID.map { RGB(UInt8(($0 >> 16) & 255), UInt8(($0 >> 8) & 255), UInt8($0 & 255)) }
    }

    /// Row `row`'s characters, without colours: `columns` placeholder cells.
    public func text(row: Int) -> String {
        precondition((0..<rows).contains(row), "row \(row) of a \(rows)-row placeholder")
        var scalars = String.UnicodeScalarView()
        let marks = KittyDiacritics.codePoints
        let top = Int(imageID >> 24)
        for column in 0..<columns {
            scalars.append(KittyPlaceholder.character)
            scalars.append(Unicode.Scalar(marks[row])!)
            scalars.append(Unicode.Scalar(marks[column])!)
            if top != 0 { scalars.append(Unicode.Scalar(marks[top])!) }
        }
        return String(scalars)
    }

    /// Row `row` as UTF-8 with its colours: foreground (and underline colour), the cells,
    /// then `ESC[39m` (and `ESC[59m`). The caller moves the cursor to the row's start.
    public func line(_ row: Int) -> [UInt8] {
        // Always the 38;5;n form for indices (never 30-37), as the placeholder spec shows.
        let color: String
        switch foreground {
        case .indexed(let n): color = "38;5;\(n)"
        case .rgb(let c): color = "38;2;\(c.r);\(c.g);\(c.b)"
        case .terminalDefault: color = "39"
        }
        var out: [UInt8] = Array("\u{1B}[\(color)".utf8)
        if let u = underline {
            out.append(contentsOf: Array(";58;2;\(u.r);\(u.g);\(u.b)".utf8))
        }
        out.append(UInt8(ascii: "m"))
        out.append(contentsOf: Array(text(row: row).utf8))
        out.append(contentsOf: Array("\u{1B}[39m".utf8))
        if underline != nil { out.append(contentsOf: Array("\u{1B}[59m".utf8)) }
        return out
    }

    /// Every row's `line`, top to bottom.
    public var lines: [[UInt8]] { (0..<rows).map(line) }
}
