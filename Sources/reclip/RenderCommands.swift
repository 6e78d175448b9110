import Pixels
import ArgumentParser
import Foundation
import Render
import TUI

extension Reclip {
    /// Subcommands of the render area.
    static var renderCommands: [any ParsableCommand.Type] { [RenderImage.self] }
}

/// `reclip render IMAGE [--mask M.png] [--graphics P]`: prints an image (and a class mask over
/// it) as ANSI half-block text, or as real pixels in the kitty, sixel or iTerm2 protocol.
struct RenderImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print an image (and optionally a class mask over it) as coloured half blocks or terminal graphics.",
        discussion: """
            --graphics auto asks the terminal when stdout is one (kitty, sixel or iTerm2 pictures where it answers, \
            else cells). A picture is composed at the cells' size in pixels: the terminal's cell size, else \
            --cell-size, else 10x20 (--width 80 gives 800 pixels across).
            """)

    /// The columns and rows `--width` and `--height` accept.
    static let sizeRange = 1...1000
    /// The cell aspects `--cell-aspect` accepts.
    static let cellAspectRange = 0.25...8.0

    @Argument(help: "A PNG or JPEG file.")
    var image: String

    @Option(help: "A palette or greyscale PNG of class indices (VOC style, 255 = ignore) to draw over the image.")
    var mask: String?

    @Option(help: "Mask opacity, 0 to 1.")
    var opacity: Double = 0.5

    @Flag(help: "Outline the boundaries between mask classes.")
    var boundaries = false

    @Option(help: "Most columns to use, 1 to 1000 (default: the terminal's width, else $COLUMNS, else 80).")
    var width: Int?

    @Option(help: "Most rows to use, 1 to 1000 (default: the terminal's height less one, unlimited when not a terminal).")
    var height: Int?

    @Option(help: "Colours: truecolor, 256, 16, 8 or none (default: from COLORTERM, TERM and NO_COLOR).")
    var colors: String?

    @Flag(help: "Ordered dithering in the 256, 16 and 8 colour modes.")
    var dither = false

    @Option(help: "Palette matching: auto (rgb in 256 colours, oklab in 16 and 8), oklab (perceptual) or rgb (least squared error).")
    var colorDistance: String = "auto"

    @Option(help: "A terminal cell's height over its width, 0.25 to 8 (cells; pictures use the cell size).")
    var cellAspect: Double = 2.0

    @OptionGroup var picture: GraphicsOptions

    func validate() throws {
        if let width { try OptionRange.check(width, in: Self.sizeRange, "--width", unit: "cells") }
        if let height { try OptionRange.check(height, in: Self.sizeRange, "--height", unit: "cells") }
        try OptionRange.check(opacity, in: 0...1, "--opacity")
        try OptionRange.check(cellAspect, in: Self.cellAspectRange, "--cell-aspect")
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let capabilities = TerminalCapabilities.detect(environment: environment, terminfoColors: Terminfo.maxColors)
        var config = CanvasConfig(capabilities: capabilities)
        if let colors {
            guard let mode = ColorMode(argument: colors) else {
                throw ValidationError("--colors must be truecolor, 256, 16, 8 or none, not '\(colors)'")
            }
            config.colorMode = mode
        }
        config.dither = dither
        config.cellAspect = cellAspect
        if colorDistance != "auto" {
            guard let distance = ColorDistance(rawValue: colorDistance) else {
                throw ValidationError("--color-distance must be auto, oklab or rgb, not '\(colorDistance)'")
            }
            config.colorDistance = distance
        }
        let terminal = TerminalWindow.size(environment: environment)
        let maxColumns = width ?? terminal.columns
        let maxRows = height ?? terminal.rows.map { max(1, $0 - 1) } ?? 100_000
        guard maxColumns > 0, maxRows > 0 else { throw ValidationError("--width and --height must be positive") }

        let setup = Self.graphicsSetup(environment: environment, unicode: capabilities.unicode,
                                       override: picture.graphics.override, cellSize: picture.cellSize?.size)
        let labels = try mask.map { try ImageFile.readMask(path: $0) }
        let overlay = MaskOverlay(palette: ClassPalette.voc(), opacity: opacity,
                                  boundaryColor: boundaries ? RGB(255, 255, 255) : nil)
        guard setup.graphics.drawsPixels else {
            let photo = try FittedImage.read(path: image, maxColumns: maxColumns, maxRows: maxRows, config: config)
            let grid = AnnotatedImage(image: photo.image, mask: labels, overlay: overlay)
                .grid(columns: photo.columns, rows: photo.rows, config: config)
            FileHandle.standardOutput.write(Data(AnsiWriter().bytes(grid)))
            return
        }
        // Pictures: fitted with the real cell's aspect, composed at the cells' size in pixels.
        let cell = setup.cellSize
        var fitting = config
        fitting.cellAspect = setup.cellAspect
        let photo = try FittedImage.read(path: image, maxColumns: maxColumns, maxRows: maxRows, config: fitting,
                                         oversampling: max(4, cell.width, (cell.height + 1) / 2))
        let pixels = AnnotatedImage(image: photo.image, mask: labels, overlay: overlay)
            .pixels(width: photo.columns * cell.width, height: photo.rows * cell.height)
        FileHandle.standardOutput.write(Data(try Self.pictureBytes(pixels, columns: photo.columns, rows: photo.rows, setup: setup)))
    }

    /// How pictures go to stdout: asked of the terminal when stdout is one (raw mode, at most
    /// 150 ms), else decided without replies (`auto` is then cells; a named protocol uses
    /// `--cell-size` or 10x20).
    static func graphicsSetup(environment: [String: String], unicode: Bool, override: GraphicsProtocol?,
                              cellSize: CellPixelSize?) -> GraphicsSetup {
        guard isatty(STDOUT_FILENO) == 1 else {
            return GraphicsSetup.decide(environment: environment, replies: nil, windowPixels: nil, columns: 0, rows: 0,
                                        unicode: unicode, override: override, cellSizeOverride: cellSize)
        }
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY)
        defer { if tty >= 0 { close(tty) } }
        return TerminalQuery.detectGraphics(fd: tty >= 0 ? tty : STDOUT_FILENO, environment: environment, unicode: unicode,
                                            override: override, cellSizeOverride: cellSize)
    }

    /// The picture's bytes, then a new line: kitty (inside tmux: the transmission and the
    /// Unicode placeholder lines), sixel or iTerm2, the cursor left below the picture.
    static func pictureBytes(_ pixels: RGBImage, columns: Int, rows: Int, setup: GraphicsSetup) throws -> [UInt8] {
        let encoder = PictureEncoder(graphics: setup.graphics, insideTmux: setup.insideTmux, movesCursor: true)
        // A fresh kitty id, so that a second picture does not replace the first; below 256 for
        // placeholders, whose 256-colour foreground names the image.
        let id = encoder.usesPlaceholders ? UInt32.random(in: 16...255) : UInt32.random(in: 1...0xFF_FFFF)
        var bytes = try encoder.encode(pixels, columns: columns, rows: rows, imageID: id)
        if encoder.usesPlaceholders {
            let placeholder = try KittyPlaceholder(imageID: id, columns: columns, rows: rows, indexedColor: true)
            for line in placeholder.lines { bytes += line + [0x0A] }
            return bytes
        }
        return bytes + [0x0A]
    }
}

/// The terminal's size from the window-size ioctl on stdout, else `$COLUMNS`/`$LINES`.
enum TerminalWindow {
    static func size(environment: [String: String]) -> (columns: Int, rows: Int?) {
        var window = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0 {
            return (Int(window.ws_col), window.ws_row > 0 ? Int(window.ws_row) : nil)
        }
        let columns = environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? 80
        return (columns, environment["LINES"].flatMap(Int.init))
    }
}
