import Pixels
import ArgumentParser
import Foundation
import Render

extension Reclip {
    /// Subcommands of the render area.
    static var renderCommands: [any ParsableCommand.Type] { [RenderImage.self] }
}

/// `reclip render IMAGE [--mask M.png]`: prints an image (and a class mask over it) as ANSI
/// half-block text.
struct RenderImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print an image (and optionally a class mask over it) as coloured half blocks.")

    @Argument(help: "A PNG or JPEG file.")
    var image: String

    @Option(help: "A palette or greyscale PNG of class indices (VOC style, 255 = ignore) to draw over the image.")
    var mask: String?

    @Option(help: "Mask opacity, 0 to 1.")
    var opacity: Double = 0.5

    @Flag(help: "Outline the boundaries between mask classes.")
    var boundaries = false

    @Option(help: "Most columns to use (default: the terminal's width, else $COLUMNS, else 80).")
    var width: Int?

    @Option(help: "Most rows to use (default: the terminal's height less one, unlimited when not a terminal).")
    var height: Int?

    @Option(help: "Colours: truecolor, 256, 16, 8 or none (default: from COLORTERM, TERM and NO_COLOR).")
    var colors: String?

    @Flag(help: "Ordered dithering in the 256, 16 and 8 colour modes.")
    var dither = false

    @Option(help: "Palette matching: auto (rgb in 256 colours, oklab in 16 and 8), oklab (perceptual) or rgb (least squared error).")
    var colorDistance: String = "auto"

    @Option(help: "A terminal cell's height over its width.")
    var cellAspect: Double = 2.0

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        var config = CanvasConfig(capabilities: TerminalCapabilities.detect(environment: environment, terminfoColors: Terminfo.maxColors))
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

        let photo = try FittedImage.read(path: image, maxColumns: maxColumns, maxRows: maxRows, config: config)
        let labels = try mask.map { try ImageFile.readMask(path: $0) }
        let overlay = MaskOverlay(palette: ClassPalette.voc(), opacity: opacity,
                                  boundaryColor: boundaries ? RGB(255, 255, 255) : nil)
        let grid = AnnotatedImage(image: photo.image, mask: labels, overlay: overlay)
            .grid(columns: photo.columns, rows: photo.rows, config: config)
        FileHandle.standardOutput.write(Data(AnsiWriter().bytes(grid)))
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
