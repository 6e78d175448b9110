import Pixels

/// An image with an optional class mask over it: what `reclip render` and the explorer's
/// image pane show.
///
/// ```swift
/// let view = AnnotatedImage(image: photo, mask: mask, overlay: MaskOverlay(palette: ClassPalette.voc(), opacity: 0.5))
/// let grid = view.grid(maxColumns: 160, maxRows: 50, config: CanvasConfig())
/// ```
public struct AnnotatedImage: Hashable, Sendable {
    public var image: RGBImage
    public var mask: ClassMask?
    public var overlay: MaskOverlay

    public init(image: RGBImage, mask: ClassMask? = nil,
                overlay: MaskOverlay = MaskOverlay(palette: ClassPalette.voc())) {
        self.image = image
        self.mask = mask
        self.overlay = overlay
    }

    /// The cells for the image fitted into `maxColumns` x `maxRows`, mask blended on.
    public func grid(maxColumns: Int, maxRows: Int, config: CanvasConfig) -> CellGrid {
        let (columns, rows) = CellCanvas.fit(width: image.width, height: image.height, maxColumns: maxColumns,
                                             maxRows: maxRows, cellAspect: config.cellAspect)
        return grid(columns: columns, rows: rows, config: config)
    }

    /// The cells for the image stretched to exactly `columns` x `rows`, mask blended on: the
    /// `pixels` of the cells' pixel grid, turned into cells.
    public func grid(columns: Int, rows: Int, config: CanvasConfig) -> CellGrid {
        CellCanvas.cells(from: pixels(width: columns, height: rows * config.pixelsPerCell), config: config)
    }

    /// The image area-averaged to `width` x `height` pixels with the mask blended on: what the
    /// cells show at their pixel grid's size, and what a graphics protocol sends at the cells'
    /// size in real pixels (`PictureEncoder`).
    public func pixels(width: Int, height: Int) -> RGBImage {
        var pixels = AreaResampler.resample(image, width: width, height: height)
        if let mask { overlay.draw(mask, onto: &pixels) }
        return pixels
    }
}
