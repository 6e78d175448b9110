/// A rectangle of terminal cells.
public struct Rect: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// A rectangle with no cells.
    public static let empty = Rect(x: 0, y: 0, width: 0, height: 0)

    /// Whether the rectangle has no cells.
    public var isEmpty: Bool { width == 0 || height == 0 }
    /// Whether the cell (`px`, `py`) is inside.
    public func contains(_ px: Int, _ py: Int) -> Bool {
        px >= x && px < x + width && py >= y && py < y + height
    }
    /// Whether `other` lies entirely inside this rectangle.
    public func encloses(_ other: Rect) -> Bool {
        other.isEmpty || (other.x >= x && other.y >= y && other.x + other.width <= x + width
            && other.y + other.height <= y + height)
    }
    /// Whether the two rectangles share a cell.
    public func overlaps(_ other: Rect) -> Bool {
        !isEmpty && !other.isEmpty && other.x < x + width && x < other.x + other.width
            && other.y < y + height && y < other.y + other.height
    }
}

/// One picture on screen: a caption line and the cells the picture fills.
public struct PanelLayout: Equatable, Sendable {
    /// The caption row above the picture.
    public let caption: Rect
    /// The picture's cells; each cell shows two stacked pixels.
    public let picture: Rect
}

/// Where everything goes on a terminal of a given size, for one view.
///
/// ```text
/// title bar (views, image n/N)
/// +-list-+-------- main: panels ---------+--legend--+
/// |      | caption        caption        | classes  |
/// |      | picture        picture        | shares   |
/// |      | inspect box (while inspecting)|          |
/// +------+-------------------------------+----------+
/// status line (model, alpha, size, timings)
/// ```
/// Below `minimumWidth` x `minimumHeight` the explorer shows only a message.
public struct ExplorerLayout: Equatable, Sendable {
    /// The smallest terminal the explorer draws into.
    public static let minimumWidth = 40
    public static let minimumHeight = 12
    /// Rows of the inspect box inside the legend column.
    static let inspectorRows = 7

    /// Terminal size.
    public let width: Int
    public let height: Int
    /// Whether the terminal is below the minimum size (only a message is drawn).
    public let isTooSmall: Bool
    /// The title bar.
    public let title: Rect
    /// The side list of images (empty on narrow terminals); its last column is a separator.
    public let list: Rect
    /// The area holding the panels.
    public let main: Rect
    /// The class legend: a column on the right, or rows at the bottom of narrow terminals.
    public let legend: Rect
    /// Whether the legend is a column (one class per row) rather than rows at the bottom.
    public let legendIsColumn: Bool
    /// The inspect box, below the main area while inspecting.
    public let inspector: Rect
    /// The pictures of the view.
    public let panels: [PanelLayout]
    /// The colour bar and its range (bias view only).
    public let colourBar: Rect?
    /// The status line.
    public let status: Rect

    /// The layout of `view` on a `width` x `height` terminal for a picture of `imageAspect`
    /// (width over height); `inspecting` reserves room for the inspect box; `groundTruth`
    /// adds the ground-truth panel to the compare view; `cellAspect` is a cell's height over
    /// its width on screen (2 for half blocks, the real cell's for a graphics protocol).
    public init(width: Int, height: Int, view: ExplorerView, imageAspect: Double, inspecting: Bool = false,
                groundTruth: Bool = false, cellAspect: Double = 2) {
        self.width = width
        self.height = height
        isTooSmall = width < Self.minimumWidth || height < Self.minimumHeight
        guard !isTooSmall else {
            title = .empty; list = .empty; main = .empty; legend = .empty; inspector = .empty
            legendIsColumn = false; panels = []; colourBar = nil; status = .empty
            return
        }
        title = Rect(x: 0, y: 0, width: width, height: 1)
        status = Rect(x: 0, y: height - 1, width: width, height: 1)
        let bodyTop = 1
        var bodyHeight = height - 2

        let listWidth = width >= 100 ? 24 : (width >= 60 ? 16 : 0)
        let legendWidth = width >= 80 ? (width >= 140 ? 30 : 24) : 0
        legendIsColumn = legendWidth > 0
        if legendIsColumn {
            legend = Rect(x: width - legendWidth, y: bodyTop, width: legendWidth, height: bodyHeight)
        } else {
            let rows = 2
            legend = Rect(x: listWidth, y: bodyTop + bodyHeight - rows, width: width - listWidth, height: rows)
            bodyHeight -= rows
        }
        list = Rect(x: 0, y: bodyTop, width: listWidth, height: bodyHeight)
        let mainX = listWidth + 1
        let mainWidth = width - listWidth - legendWidth - 2
        let inspectorRows = inspecting ? min(Self.inspectorRows, bodyHeight / 3) : 0
        inspector = inspecting
            ? Rect(x: mainX, y: bodyTop + bodyHeight - inspectorRows, width: mainWidth, height: inspectorRows)
            : .empty
        main = Rect(x: mainX, y: bodyTop, width: mainWidth, height: bodyHeight - inspectorRows)

        let barRows = view == .bias ? 2 : 0
        let available = Rect(x: main.x, y: main.y, width: main.width, height: main.height - barRows)
        panels = Self.panels(count: view.panelCount(groundTruth: groundTruth), in: available, aspect: imageAspect,
                             cellAspect: cellAspect)
        if barRows > 0 {
            let bottom = panels.map { $0.picture.y + $0.picture.height }.max() ?? available.y
            colourBar = Rect(x: main.x, y: bottom, width: min(main.width, 48), height: barRows)
        } else {
            colourBar = nil
        }
    }

    /// The largest picture of width/height `aspect` that fits `columns` x `rows` cells, a
    /// cell being `cellAspect` times as tall as wide (2: two square pixels a cell).
    public static func fit(aspect: Double, columns: Int, rows: Int, cellAspect: Double = 2) -> (columns: Int, rows: Int) {
        guard columns > 0, rows > 0 else { return (0, 0) }
        let a = aspect > 0 && aspect.isFinite ? aspect : 1
        let k = cellAspect > 0 && cellAspect.isFinite ? cellAspect : 2
        var c = min(columns, Int((Double(rows) * k * a).rounded()))
        c = max(1, c)
        let r = max(1, min(rows, Int((Double(c) / (k * a)).rounded())))
        return (c, r)
    }

    /// Columns between panels side by side.
    static let panelGap = 2

    /// `count` panels of one size in `area`, on the grid of rows x columns (1 x count, 2 x 2,
    /// ..., count x 1) that shows them largest; each panel is a caption row over its picture.
    /// Ties go to fewer rows (side by side reads as the paper's figure).
    static func panels(count: Int, in area: Rect, aspect: Double, cellAspect: Double = 2) -> [PanelLayout] {
        guard count > 0, area.width > 0, area.height > 1 else { return [] }
        var best: (rows: Int, columns: Int, size: (columns: Int, rows: Int))?
        for rows in 1...count {
            let columns = (count + rows - 1) / rows
            if rows > 1 && (rows - 1) * columns >= count { continue }   // a whole empty row
            let cellWidth = (area.width - panelGap * (columns - 1)) / columns
            let cellRows = area.height / rows - 1
            guard cellWidth > 0, cellRows > 0 else { continue }
            let size = fit(aspect: aspect, columns: cellWidth, rows: cellRows, cellAspect: cellAspect)
            if best == nil || size.columns * size.rows > best!.size.columns * best!.size.rows {
                best = (rows, columns, size)
            }
        }
        guard let grid = best else { return [] }
        let captionWidth = grid.columns == 1 ? area.width
            : max(grid.size.columns, min((area.width - panelGap * (grid.columns - 1)) / grid.columns, 24))
        return (0..<count).map { i in
            let x = area.x + (i % grid.columns) * (captionWidth + panelGap)
            let y = area.y + (i / grid.columns) * (grid.size.rows + 1)
            return PanelLayout(caption: Rect(x: x, y: y, width: captionWidth, height: 1),
                               picture: Rect(x: x, y: y + 1, width: grid.size.columns, height: grid.size.rows))
        }
    }

    /// Rows of the legend column that list classes (below its header).
    public var legendEntryRows: Int { legendIsColumn ? max(0, legend.height - 1) : 0 }

    /// Where each class sits when the legend is rows at the bottom: a two-cell swatch then its
    /// label, wrapped at the legend's width, as far as its rows go (the rest are not shown).
    /// The drawing and the mouse both read it, so a click lands on the entry drawn there.
    public static func legendRowEntries(labels: [String], in legend: Rect) -> [(index: Int, x: Int, y: Int, width: Int)] {
        var entries: [(index: Int, x: Int, y: Int, width: Int)] = []
        var x = legend.x + 1, y = legend.y
        for (k, label) in labels.enumerated() {
            if x + 2 + label.count > legend.x + legend.width {
                y += 1
                x = legend.x + 1
                if y >= legend.y + legend.height { break }
            }
            let width = min(2 + label.count, legend.x + legend.width - x)
            guard width > 0 else { break }
            entries.append((k, x, y, width))
            x += width
        }
        return entries
    }

    /// The indices shown in a scrolling list of `count` items with `rows` rows, keeping `focus`
    /// visible and as central as the ends allow.
    public static func window(count: Int, focus: Int, rows: Int) -> Range<Int> {
        guard rows > 0, count > 0 else { return 0..<0 }
        if count <= rows { return 0..<count }
        let top = max(0, min(count - rows, focus - rows / 2))
        return top..<(top + rows)
    }
}
