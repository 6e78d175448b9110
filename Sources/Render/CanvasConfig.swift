/// Every knob of turning pixels into cells, in one value (like chafa's canvas config).
///
/// ```swift
/// var config = CanvasConfig(colorMode: .xterm256)
/// config.dither = true
/// let grid = CellCanvas.render(photo, maxColumns: 80, maxRows: 24, config: config)
/// ```
public struct CanvasConfig: Hashable, Sendable {
    /// How each cell shows pixels.
    public enum CellMode: Hashable, Sendable {
        /// `▀` with the upper pixel as foreground and the lower as background: two pixels a
        /// cell. Needs a UTF-8 locale.
        case halfBlock
        /// A space with the pixel as background: one pixel a cell, plain ASCII.
        case background
    }

    /// The colours cells may use.
    public var colorMode: ColorMode
    /// Two pixels a cell (half blocks) or one.
    public var cellMode: CellMode
    /// Ordered (Bayer) dithering in the palette modes.
    public var dither: Bool
    /// A cell's height over its width on screen (about 2 for most terminal fonts).
    public var cellAspect: Double
    /// How palette colours are matched in the 256, 16 and 8 colour modes; nil picks the
    /// mode's default (`ColorDistance.default(for:)`).
    public var colorDistance: ColorDistance?

    public init(colorMode: ColorMode = .truecolor, cellMode: CellMode = .halfBlock,
                dither: Bool = false, cellAspect: Double = 2.0, colorDistance: ColorDistance? = nil) {
        self.colorMode = colorMode
        self.cellMode = cellMode
        self.dither = dither
        self.cellAspect = cellAspect
        self.colorDistance = colorDistance
    }

    /// The configuration suited to a terminal: its colour mode, and half blocks only when the
    /// locale is UTF-8.
    public init(capabilities: TerminalCapabilities) {
        self.init(colorMode: capabilities.colorMode,
                  cellMode: capabilities.unicode ? .halfBlock : .background)
    }

    /// The colour distance in force: the one set, else the mode's default.
    public var effectiveColorDistance: ColorDistance { colorDistance ?? .default(for: colorMode) }

    /// Pixel rows a cell shows.
    public var pixelsPerCell: Int { cellMode == .halfBlock ? 2 : 1 }
}
