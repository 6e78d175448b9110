import Pixels

/// Turns pixels into a `CellGrid`: fits an image into a box of cells keeping its aspect
/// ratio, area-averages it to the cells' pixel grid in linear light, and reduces each pixel
/// to the colours the configuration allows.
///
/// ```swift
/// let photo = try ImageFile.read(path: "astronaut.png")
/// let grid = CellCanvas.render(photo, maxColumns: 80, maxRows: 24, config: CanvasConfig())
/// print(AnsiWriter().string(grid), terminator: "")
/// ```
public enum CellCanvas {
    /// The largest grid (columns, rows) within `maxColumns` x `maxRows` that shows a
    /// `width` x `height` image at its own aspect ratio, a cell being `cellAspect` times as
    /// tall as wide. Never smaller than 1x1.
    public static func fit(width: Int, height: Int, maxColumns: Int, maxRows: Int,
                           cellAspect: Double = 2.0) -> (columns: Int, rows: Int) {
        guard width > 0, height > 0, maxColumns > 0, maxRows > 0 else { return (max(1, maxColumns), max(1, maxRows)) }
        let ratio = Double(width) / Double(height)        // image width over height
        var columns = maxColumns
        var rows = Int((Double(columns) / (ratio * cellAspect)).rounded())
        if rows > maxRows {
            rows = maxRows
            columns = min(maxColumns, Int((Double(rows) * cellAspect * ratio).rounded()))
        }
        return (max(1, columns), max(1, rows))
    }

    /// `image` fitted into `maxColumns` x `maxRows` cells.
    public static func render(_ image: RGBImage, maxColumns: Int, maxRows: Int,
                              config: CanvasConfig) -> CellGrid {
        let (columns, rows) = fit(width: image.width, height: image.height, maxColumns: maxColumns,
                                  maxRows: maxRows, cellAspect: config.cellAspect)
        return cells(from: pixelGrid(image, columns: columns, rows: rows, config: config), config: config)
    }

    /// The pixels behind `columns` x `rows` cells: `image` area-averaged to
    /// `columns` x (`rows` * pixels per cell). Overlays are drawn onto this.
    public static func pixelGrid(_ image: RGBImage, columns: Int, rows: Int, config: CanvasConfig) -> RGBImage {
        AreaResampler.resample(image, width: columns, height: rows * config.pixelsPerCell)
    }

    /// The cells showing `pixels`, which must be a pixel grid (`height` a multiple of the
    /// pixels per cell).
    public static func cells(from pixels: RGBImage, config: CanvasConfig) -> CellGrid {
        let per = config.pixelsPerCell
        let columns = pixels.width, rows = pixels.height / per
        var grid = CellGrid(width: columns, height: rows)
        let quantizer = PaletteQuantizer(mode: config.colorMode, dither: config.dither, distance: config.effectiveColorDistance)
        let ramp = config.cellMode == .halfBlock ? shadeRamp : asciiRamp
        for row in 0..<rows {
            for x in 0..<columns {
                let upper = pixels[x, row * per]
                let cell: Cell
                if config.colorMode == .none {
                    let lower = per == 2 ? pixels[x, row * per + 1] : upper
                    let lightness = (perceivedLightness(upper) + perceivedLightness(lower)) / 2
                    let i = min(ramp.count - 1, Int(lightness * Float(ramp.count - 1) + 0.5))
                    cell = Cell(glyph: ramp[i])
                } else if per == 2 {
                    let lower = pixels[x, row * per + 1]
                    cell = Cell(glyph: "▀",
                                foreground: quantizer.color(upper, x: x, y: 2 * row),
                                background: quantizer.color(lower, x: x, y: 2 * row + 1))
                } else {
                    cell = Cell(glyph: " ", background: quantizer.color(upper, x: x, y: row))
                }
                grid.cells[row * columns + x] = cell
            }
        }
        return grid
    }

    /// Shades from dark to light for the colourless mode, UTF-8 and ASCII.
    static let shadeRamp: [Unicode.Scalar] = [" ", "░", "▒", "▓", "█"]
    static let asciiRamp: [Unicode.Scalar] = [" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"]

    /// Perceived lightness 0...1: relative luminance Y in linear light, re-encoded with the
    /// sRGB curve so equal steps look equal.
    static func perceivedLightness(_ c: RGB) -> Float {
        let t = LinearLight.fromSRGB
        let y = 0.2126 * t[Int(c.r)] + 0.7152 * t[Int(c.g)] + 0.0722 * t[Int(c.b)]
        return Float(LinearLight.toSRGBTable[Int(y * 65535 + 0.5)]) / 255
    }
}
