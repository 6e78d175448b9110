import Pixels

/// Marks one character cell of a picture composed at a cell's pixel size (a graphics
/// protocol's panel): the cell filled white with a black `+` through its centre, the pixel
/// twin of the `+` cell (black on white) the cells draw for the inspect cursor.
///
/// ```swift
/// CellMark(cellWidth: 10, cellHeight: 20).draw(onto: &panel, column: 3, row: 2)   // pixels 30..<40, 40..<60
/// ```
public struct CellMark: Hashable, Sendable {
    /// A cell's width in pixels.
    public var cellWidth: Int
    /// A cell's height in pixels.
    public var cellHeight: Int

    public init(cellWidth: Int, cellHeight: Int) {
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
    }

    /// The pixels of cell (`column`, `row`), clipped to an image of `width` x `height`.
    public func pixelRect(column: Int, row: Int, width: Int, height: Int) -> (x: Range<Int>, y: Range<Int>) {
        let x0 = min(width, max(0, column * cellWidth)), y0 = min(height, max(0, row * cellHeight))
        return (x0..<min(width, x0 + max(0, cellWidth)), y0..<min(height, y0 + max(0, cellHeight)))
    }

    /// Draws the mark over cell (`column`, `row`) of `image`; cells outside draw nothing.
    public func draw(onto image: inout RGBImage, column: Int, row: Int) {
        let (xs, ys) = pixelRect(column: column, row: row, width: image.width, height: image.height)
        guard !xs.isEmpty, !ys.isEmpty else { return }
        let midX = xs.lowerBound + (xs.count - 1) / 2, midY = ys.lowerBound + (ys.count - 1) / 2
        let armX = max(1, xs.count / 3), armY = max(1, min(ys.count / 3, xs.count / 3 + 1))
        for y in ys {
            for x in xs {
                let onPlus = (x == midX && abs(y - midY) <= armY) || (y == midY && abs(x - midX) <= armX)
                image[x, y] = onPlus ? RGB(0, 0, 0) : RGB(255, 255, 255)
            }
        }
    }
}
