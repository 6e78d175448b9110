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

    /// The cells for the image stretched to exactly `columns` x `rows`, mask blended on.
    public func grid(columns: Int, rows: Int, config: CanvasConfig) -> CellGrid {
        var pixels = CellCanvas.pixelGrid(image, columns: columns, rows: rows, config: config)
        if let mask { overlay.draw(mask, onto: &pixels) }
        return CellCanvas.cells(from: pixels, config: config)
    }
}
