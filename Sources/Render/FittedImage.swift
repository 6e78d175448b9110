import Pixels

/// An image read to be shown in a box of cells: the cell size is fitted to the image's full
/// size, and a large JPEG is decoded reduced in the DCT, keeping at least `oversampling`
/// image pixels per cell pixel in each direction, so area averaging still sees the detail.
///
/// ```swift
/// let fitted = try FittedImage.read(path: "big.jpg", maxColumns: 160, maxRows: 50, config: config)
/// let grid = AnnotatedImage(image: fitted.image).grid(columns: fitted.columns, rows: fitted.rows, config: config)
/// ```
public struct FittedImage: Hashable, Sendable {
    /// The decoded image, possibly reduced.
    public let image: RGBImage
    /// Cells across, fitted to the full-size image.
    public let columns: Int
    /// Cells down, fitted to the full-size image.
    public let rows: Int

    public static func read(path: String, maxColumns: Int, maxRows: Int, config: CanvasConfig,
                            oversampling: Int = 4, maxPixels: Int = ImageFile.defaultMaxPixels) throws -> FittedImage {
        var fitted: (columns: Int, rows: Int)?
        let image = try ImageFile.read(path: path, maxPixels: maxPixels) { width, height in
            let fit = CellCanvas.fit(width: width, height: height, maxColumns: maxColumns, maxRows: maxRows,
                                     cellAspect: config.cellAspect)
            fitted = fit
            return (fit.columns * oversampling, fit.rows * config.pixelsPerCell * oversampling)
        }
        let fit = fitted ?? CellCanvas.fit(width: image.width, height: image.height, maxColumns: maxColumns,
                                           maxRows: maxRows, cellAspect: config.cellAspect)
        return FittedImage(image: image, columns: fit.columns, rows: fit.rows)
    }
}
