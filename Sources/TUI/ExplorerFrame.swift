import Pixels
import Datasets
import Render
import FileIO
import CLIP
import ReCLIP

/// A frame of the explorer drawn from a state alone: the grid of cells the terminal should
/// show. One place (`Terminal`) turns it into ncurses calls; tests read it directly.
///
/// ```swift
/// let grid = ExplorerFrame(state: state).grid
/// print(grid.text(row: grid.height - 1))   // the status line
/// ```
public struct ExplorerFrame {
    public let state: ExplorerState
    let layout: ExplorerLayout
    let palette: [RGB]
    /// What earlier frames computed (`Terminal`'s); a fresh one by default.
    let cache: FrameCache

    /// A frame that takes the resampled photo and the masks it needs from `cache` when an
    /// earlier frame computed them, and leaves there what it computes.
    public init(state: ExplorerState, cache: FrameCache = FrameCache()) {
        self.state = state
        self.layout = state.layout
        self.palette = ClassPalette.forClasses(state.classes)
        self.cache = cache
    }

    /// Class `k`'s colour (grey past the palette's end).
    func colour(_ k: Int) -> RGB { palette.indices.contains(k) ? palette[k] : RGB(128, 128, 128) }

    /// The whole screen.
    public var grid: CellGrid {
        var grid = CellGrid(width: max(0, state.width), height: max(0, state.height))
        guard !layout.isTooSmall else {
            drawTooSmall(&grid)
            return grid
        }
        drawTitle(&grid)
        drawList(&grid)
        let contents = drawPanels(&grid)
        drawColourBar(&grid)
        drawLegend(&grid)
        if state.inspecting { drawInspector(&grid, contents: contents) }
        drawStatus(&grid)
        if state.showHelp { drawHelp(&grid) }
        if state.showProtocol { drawProtocol(&grid) }
        return grid
    }

    // MARK: parts

    func drawTooSmall(_ grid: inout CellGrid) {
        let lines = ["terminal too small: \(state.width)x\(state.height)",
                     "reclip needs \(ExplorerLayout.minimumWidth)x\(ExplorerLayout.minimumHeight)",
                     "enlarge it, or q to quit"]
        for (i, line) in lines.enumerated() {
            let y = (grid.height - lines.count) / 2 + i
            grid.write(line, x: max(0, (grid.width - line.count) / 2), y: y)
        }
    }

    func drawTitle(_ grid: inout CellGrid) {
        let bar = Cell(glyph: " ", foreground: Palette.titleText, background: Palette.titleBackground)
        grid.fill(layout.title, with: bar)
        var x = grid.write(" reclip ", x: 0, y: 0, foreground: Palette.titleText, background: Palette.titleBackground)
        // Every view named when there is room; numbers and the current view's name otherwise.
        let full = 8 + ExplorerView.allCases.map { $0.title.count + 5 }.reduce(0, +) + 20 <= grid.width
        for view in ExplorerView.allCases {
            let label = full ? " \(view.rawValue) \(view.title) " : " \(view.rawValue) "
            let on = view == state.view
            x = grid.write(label, x: x + 1, y: 0,
                           foreground: on ? Palette.highlightText : Palette.titleText,
                           background: on ? Palette.highlightBackground : Palette.titleBackground)
        }
        if !full {
            x = grid.write(" " + state.view.title, x: x, y: 0, foreground: Palette.titleText, background: Palette.titleBackground)
        }
        if let entry = state.currentEntry {
            let right = " \(entry.name)  \(state.selected + 1)/\(state.entries.count) "
            let start = max(x + 1, grid.width - right.count)
            grid.write(right, x: start, y: 0, foreground: Palette.titleText, background: Palette.titleBackground)
        }
    }

    func drawList(_ grid: inout CellGrid) {
        let list = layout.list
        guard !list.isEmpty else { return }
        let textWidth = list.width - 1
        for y in list.y..<(list.y + list.height) {
            grid[list.x + textWidth, y] = Cell(glyph: "\u{2502}", foreground: Palette.dimText)
        }
        grid.write("images", x: list.x + 1, y: list.y, maxWidth: textWidth - 1, foreground: Palette.dimText)
        let rows = ExplorerLayout.window(count: state.entries.count, focus: state.selected, rows: list.height - 1)
        for (row, index) in rows.enumerated() {
            let on = index == state.selected
            let mark: String
            if state.imageErrors[index] != nil { mark = "!" }
            else if case .done? = state.segmentations[index] { mark = "*" }
            else { mark = " " }
            let name = (on ? ">" : " ") + mark + state.entries[index].name
            let padded = name.padding(toLength: textWidth, withPad: " ", startingAt: 0)
            grid.write(padded, x: list.x, y: list.y + 1 + row, maxWidth: textWidth,
                       foreground: on ? Palette.highlightText : .terminalDefault,
                       background: on ? Palette.highlightBackground : .terminalDefault)
        }
    }

    /// Draws the view's panels; returns their contents (the inspector reads the first). With
    /// a graphics protocol (`state.drawsPixels`) the captions and messages are drawn and the
    /// picture cells left blank: the pictures go as pixels (`pixelPanels`, `pixels(for:)`).
    @discardableResult
    func drawPanels(_ grid: inout CellGrid) -> [PanelContent] {
        if state.view == .dataset {
            drawDataset(&grid)
            return []
        }
        guard let first = layout.panels.first else { return [] }
        let config = state.canvas
        let contents: [PanelContent]
        if state.drawsPixels {
            contents = ViewPanels(state: state, cache: cache).specs(width: first.picture.width, height: first.picture.height * config.pixelsPerCell)
                .map { PanelContent(caption: $0.caption, pixels: nil, message: $0.message, figure: $0.figure) }
        } else {
            let (w, h) = (first.picture.width, first.picture.height * config.pixelsPerCell)
            let photo = state.currentPicture.flatMap { w > 0 && h > 0 ? cache.photo($0, width: w, height: h) : nil }
            contents = ViewPanels(state: state, cache: cache).panels(width: w, height: h, photo: photo)
        }
        for (panel, content) in zip(layout.panels, contents) {
            let caption = PanelSpec.title(content.caption, figure: content.figure, width: panel.caption.width,
                                          cut: state.halfBlocks ? "\u{2026}" : ".")
            grid.write(caption, x: panel.caption.x, y: panel.caption.y, maxWidth: panel.caption.width, foreground: .terminalDefault)
            if let pixels = content.pixels {
                var cells = CellCanvas.cells(from: pixels, config: config)
                if state.inspecting { markCursor(&cells) }
                grid.paste(cells, atX: panel.picture.x, y: panel.picture.y)
            }
            if let message = content.message {
                let y = panel.picture.y + panel.picture.height / 2
                grid.write(message, x: panel.picture.x + 1, y: y, maxWidth: max(0, panel.caption.width - 1),
                           foreground: Palette.warningText)
            }
        }
        if state.isComputing || state.loading.contains(state.selected), let panel = layout.panels.last {
            let spinner = ["|", "/", "-", "\\"][state.spinnerPhase % 4]
            var text = " \(spinner) "
            if case .computing(let p)? = state.segmentations[state.selected] { text += "computing \(Format.percent(p)) " }
            else { text += "loading " }
            grid.write(text, x: panel.picture.x, y: panel.picture.y + panel.picture.height - 1,
                       maxWidth: panel.picture.width, foreground: Palette.highlightText, background: Palette.highlightBackground)
        }
        return contents
    }

    /// The panels this frame shows in pixels (none in cells mode, in the dataset view, with a
    /// box open, or on a terminal too small): each picture's slot, cells and key, at the
    /// cell's pixel size times the panel's cells. Panels with a message and no picture, and
    /// the one under the spinner, are left to the text.
    public var pixelPanels: [PixelPanel] {
        guard state.drawsPixels, !layout.isTooSmall, let first = layout.panels.first else { return [] }
        let cell = state.graphicsSetup.cellSize
        let panels = ViewPanels(state: state, boundaries: true, cache: cache)
        let specs = panels.specs(width: first.picture.width, height: first.picture.height * state.canvas.pixelsPerCell)
        let spinnerSlot = state.isComputing || state.loading.contains(state.selected) ? layout.panels.count - 1 : nil
        var out: [PixelPanel] = []
        for (slot, (panel, spec)) in zip(layout.panels, specs).enumerated() {
            guard let recipe = spec.recipe, spec.message == nil, slot != spinnerSlot, !panel.picture.isEmpty,
                  KittyPanelIDs.slots.contains(slot) else { continue }
            let cursor = state.inspecting
                ? cursorCell(in: panel.picture.width, panel.picture.height) : nil
            let key = PanelKey(recipe: recipe, width: panel.picture.width * cell.width, height: panel.picture.height * cell.height,
                               cursor: cursor.map { PanelKey.CellPosition(column: $0.x, row: $0.y) }, boundaries: true,
                               state: state, palette: panels.palette, truthPalette: panels.truthPalette)
            out.append(PixelPanel(slot: slot, cells: panel.picture, key: key))
        }
        return out
    }

    /// The pixels of a panel of `pixelPanels`: composed through Render at the key's size by
    /// the same `ViewPanels` as the cells, the inspect cursor marked on its cell (the photo
    /// resampled to the key's size once for the panels of a view, through the cache).
    public func pixels(for panel: PixelPanel) -> RGBImage {
        let key = panel.key
        guard let original = state.currentPicture, key.width > 0, key.height > 0 else {
            return RGBImage(width: max(1, key.width), height: max(1, key.height))
        }
        let photo = cache.photo(original, width: key.width, height: key.height)
        var pixels = ViewPanels(state: state, boundaries: key.boundaries, cache: cache).compose(key.recipe, width: key.width, height: key.height,
                                                                                  photo: photo)
        if let cursor = key.cursor {
            let cell = state.graphicsSetup.cellSize
            CellMark(cellWidth: cell.width, cellHeight: cell.height).draw(onto: &pixels, column: cursor.column, row: cursor.row)
        }
        return pixels
    }

    /// The cell under the inspect cursor inside a panel's cells.
    func cursorCell(in width: Int, _ height: Int) -> (x: Int, y: Int) {
        state.cursor.cell(columns: width, rows: height)
    }

    func markCursor(_ cells: inout CellGrid) {
        guard cells.width > 0, cells.height > 0 else { return }
        let (x, y) = cursorCell(in: cells.width, cells.height)
        cells[x, y] = Cell(glyph: "+", foreground: .rgb(RGB(0, 0, 0)), background: .rgb(RGB(255, 255, 255)))
    }

    func drawColourBar(_ grid: inout CellGrid) {
        guard let bar = layout.colourBar, let maps = state.currentMaps, maps.hasBias,
              maps.classBias != nil, bar.width > 4 else { return }
        guard case let .fixed(low, high) = ViewPanels(state: state).biasRange(maps) else { return }
        grid.paste(ColorBar(colorMap: .rdBuR, low: low, high: high).grid(width: bar.width, config: state.canvas),
                   atX: bar.x, y: bar.y)
    }

    /// Shares of each class in the rectified mask and their change from the raw mask.
    func classShares() -> (shares: [Double], deltas: [Int])? {
        if state.currentMaps == nil, let truth = state.currentGroundTruth,
           state.groundTruthClasses.map({ $0 == state.classes }) ?? true {
            // Without the engine: the ground truth's shares, nothing to compare them with.
            return (truth.shares(classCount: state.classes.count), [Int](repeating: 0, count: state.classes.count))
        }
        guard let maps = state.currentMaps, let panel = layout.panels.first, !panel.picture.isEmpty else { return nil }
        let w = panel.picture.width, h = panel.picture.height * 2
        let hidden = state.hiddenClasses
        let rect = ClassMask(width: w, height: h, labels: cache.labels(maps, alpha: state.shownAlpha, width: w, height: h, hidden: hidden))
            .shares(classCount: maps.classCount)
        let raw = ClassMask(width: w, height: h, labels: cache.labels(maps, alpha: 0, width: w, height: h, hidden: hidden))
            .shares(classCount: maps.classCount)
        let deltas = zip(rect, raw).map { Int(($0 * 100).rounded()) - Int(($1 * 100).rounded()) }
        return (rect, deltas)
    }

    /// What rectification does to class `k` on the current maps, as a one-cell mark before its
    /// name: `~` when only its class bias applies (a class the rectifier's space bias was not
    /// trained on), nothing when it is rectified in full or when nothing is (the caption says so).
    func rectificationMark(_ k: Int) -> String? {
        guard let maps = state.currentMaps, maps.hasBias, state.classes.indices.contains(k) else { return nil }
        return maps.classesWithoutSpaceBias.contains(state.classes[k]) ? "~" : nil
    }

    /// The legend's header: how to focus, and what a mark means when one is shown.
    var legendHeader: String {
        let marked = state.classes.indices.contains { rectificationMark($0) != nil }
        return marked ? "classes (~ class bias)" : "classes (c: focus)"
    }

    func legendLabel(_ k: Int, shares: (shares: [Double], deltas: [Int])?) -> String {
        var label = (rectificationMark(k) ?? "") + state.classes[k]
        if state.hiddenClasses.contains(k) { return label + " (hidden)" }
        if let shares, k < shares.shares.count {
            label += " " + Format.percent(shares.shares[k])
            if state.shownAlpha != 0 && shares.deltas[k] != 0 { label += " (\(Format.signed(shares.deltas[k])))" }
        }
        return label
    }

    func drawLegend(_ grid: inout CellGrid) {
        let legend = layout.legend
        guard !legend.isEmpty, !state.classes.isEmpty else { return }
        let shares = classShares()
        if layout.legendIsColumn {
            for y in legend.y..<(legend.y + legend.height) {
                grid[legend.x, y] = Cell(glyph: "\u{2502}", foreground: Palette.dimText)
            }
            grid.write(legendHeader, x: legend.x + 2, y: legend.y, maxWidth: legend.width - 2, foreground: Palette.dimText)
            let rows = ExplorerLayout.window(count: state.classes.count, focus: state.focusClass, rows: layout.legendEntryRows)
            for (row, k) in rows.enumerated() {
                let y = legend.y + 1 + row
                let on = k == state.focusClass
                grid.write(on ? ">" : " ", x: legend.x + 1, y: y)
                grid.write("  ", x: legend.x + 2, y: y, background: .rgb(colour(k)))
                grid.write(" " + legendLabel(k, shares: shares), x: legend.x + 4, y: y, maxWidth: legend.width - 4,
                           foreground: on ? Palette.highlightText : .terminalDefault,
                           background: on ? Palette.highlightBackground : .terminalDefault)
            }
        } else {
            let labels = state.classes.indices.map { " " + legendLabel($0, shares: shares) + " " }
            for entry in ExplorerLayout.legendRowEntries(labels: labels, in: legend) {
                let k = entry.index, on = k == state.focusClass
                grid.write("  ", x: entry.x, y: entry.y, background: .rgb(colour(k)))
                grid.write(labels[k], x: entry.x + 2, y: entry.y, maxWidth: entry.width - 2,
                           foreground: on ? Palette.highlightText : .terminalDefault,
                           background: on ? Palette.highlightBackground : .terminalDefault)
            }
        }
    }

    /// The inspect box: for the cell under the cursor, the top classes with raw logit, class
    /// bias, space bias and rectified logit.
    func drawInspector(_ grid: inout CellGrid, contents: [PanelContent]) {
        let box = layout.inspector
        guard !box.isEmpty else { return }
        grid.fill(box, with: .blank)
        guard let maps = state.currentMaps, maps.gridWidth > 0, maps.gridHeight > 0 else {
            grid.write("inspect: needs the engine's maps", x: box.x + 1, y: box.y, maxWidth: box.width - 1, foreground: Palette.dimText)
            return
        }
        let (gx, gy) = state.cursor.cell(columns: maps.gridWidth, rows: maps.gridHeight)
        let plane = maps.gridWidth * maps.gridHeight
        let p = gy * maps.gridWidth + gx
        let rect = maps.rectified(alpha: state.shownAlpha)
        let order = (0..<maps.classCount).sorted { rect[$0 * plane + p] > rect[$1 * plane + p] }
        var title = "inspect cell \(gx),\(gy) of \(maps.gridWidth)x\(maps.gridHeight)"
        if let picture = state.currentPicture, picture.width > 0, picture.height > 0 {
            let (px, py) = state.cursor.cell(columns: picture.width, rows: picture.height)
            title += ", pixel \(px),\(py)"
        }
        grid.write(title, x: box.x + 1, y: box.y, maxWidth: box.width - 1, foreground: Palette.dimText)
        let compact = box.width < 44
        let places = compact ? 2 : 3
        let nameWidth = compact ? 7 : 10
        let column = places + 4
        func right(_ text: String) -> String { text.leftPadded(column) }
        let header = "class".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + ["raw", "cls", "spc", "rect"].map(right).joined()
        grid.write("   " + header, x: box.x + 1, y: box.y + 1, maxWidth: box.width - 1, foreground: Palette.dimText)
        for (row, k) in order.prefix(box.height - 2).enumerated() {
            let name = String(maps.classNames[k].prefix(nameWidth)).padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let i = k * plane + p
            func value(_ x: Float) -> String { right(Format.decimal(x, places: places).trimmingCharacters(in: .whitespaces)) }
            var line = name + value(maps.raw[i])
            line += maps.classBias.map { value($0[i]) } ?? right("-")
            line += maps.spaceBias.map { value($0[i]) } ?? right("-")
            line += value(rect[i])
            grid.write("  ", x: box.x + 1, y: box.y + 2 + row, background: .rgb(colour(k)))
            grid.write(" " + line, x: box.x + 3, y: box.y + 2 + row, maxWidth: box.width - 3)
        }
    }

    /// The status line's text: model, alpha, image size, engine timing, then any message.
    public var statusText: String {
        var parts: [String] = []
        if let model = state.model {
            parts.append(state.alphaIsActive ? (state.automaticAlpha ? "alpha auto \(Format.alpha(state.shownAlpha))"
                                                                     : "alpha \(Format.alpha(state.shownAlpha))") : "alpha off")
            parts.append("model \(model.name) (\(model.variant))")
            parts.append("head \(state.readout.summary)")
        } else {
            parts.append(state.modelProblem.map { "model: \($0)" } ?? ExplorerState.noModelHint)
        }
        if let picture = state.currentPicture { parts.append("\(picture.width)x\(picture.height)") }
        if let model = state.model, model.knowsOnlyTheWorld, let entry = state.currentEntry,
           !entry.fromWorld {
            parts.insert(ExplorerState.outsideTheWorldNotice, at: 0)
        }
        switch state.segmentations[state.selected] {
        case .done(_, let seconds)?: parts.append("engine \(Format.seconds(seconds))")
        case .computing(let p)?: parts.append("computing \(Format.percent(p))")
        case .failed(let why)?: parts.append("engine failed: \(why)")
        case nil: break
        }
        if let error = state.imageErrors[state.selected] { parts.append(error) }
        switch state.adaptation {
        case .running(let phase, let p)?: parts.insert("adapting \(Format.percent(p)) (\(phase)), T cancels", at: 0)
        case .ready?, nil: break
        }
        if state.view == .overlay { parts.append("overlay: \(state.overlay.title)") }
        parts.append("? help")
        // Last, so that a narrow terminal cuts the figures before the live state. While PAMR
        // refines the maps, the refined figures, or the plain ones said to be without it.
        if let model = state.model {
            let figures = state.readout.isRefined ? model.refinedFigures ?? model.figures.map { $0 + " (without PAMR)" } : model.figures
            if let figures { parts.append(figures) }
        }
        // Any message leads; the offer of an adapted rectifier comes before even that (the
        // adaptation's own summary is a message, and can be long): the keys that answer it are
        // never cut off.
        var offer: String?
        if case .ready? = state.adaptation { offer = "adapted: y uses it (saved beside the folder), n keeps the current, b compares" }
        return ([offer, state.message].compactMap { $0 } + parts).joined(separator: " | ")
    }

    func drawStatus(_ grid: inout CellGrid) {
        let bar = Cell(glyph: " ", foreground: Palette.titleText, background: Palette.titleBackground)
        grid.fill(layout.status, with: bar)
        if let p = state.prompt {
            let line = " " + p.label + p.text
            grid.write(line, x: 0, y: layout.status.y, maxWidth: grid.width, foreground: Palette.highlightText,
                       background: Palette.highlightBackground)
            let x = min(grid.width - 1, 1 + p.label.count + p.cursor)
            grid[x, layout.status.y] = Cell(glyph: "_", foreground: .rgb(RGB(0, 0, 0)), background: .rgb(RGB(255, 255, 255)))
            return
        }
        grid.write(" " + statusText, x: 0, y: layout.status.y, maxWidth: grid.width,
                   foreground: Palette.titleText, background: Palette.titleBackground)
    }

    /// Every key, as the help overlay lists it.
    public static let helpLines: [String] = [
        "reclip explorer - keys",
        "",
        "j / k, arrows   next / previous image",
        "g / G           first / last image",
        "Tab, Shift-Tab  next / previous view",
        "1 2 3 4 5       compare, bias, difference, overlay, dataset",
        "  in dataset    j / k choose an image, Enter opens it, m raw / rectified matrix",
        "- / +  [ / ]    alpha down / up by 0.1",
        "0 / p           alpha 0 (raw) / paper value 1.0",
        "A               automatic alpha per image (label-free), on / off",
        "o               overlay: image, mask, ground truth",
        "< / >           mask opacity down / up",
        "c / C           next / previous focus class",
        "i               inspect cursor (arrows move it)",
        "h               next dense head: MaskCLIP, SCLIP, ClearCLIP, NACLIP",
        "r               refine the maps along the image's colours (PAMR 10), on / off",
        "T               adapt the rectifier to this folder (background; y / n then)",
        "b               compare view: starting against adapted rectifier (after T)",
        "Space           leave the focus class out of the masks",
        "a / e / x       add classes, edit the list, remove the focus class",
        "mouse click     pick an image or a cell; a class: hide / show it",
        "s               save view as PNG and ANSI text",
        "P               the protocol: weights, hash, size, templates, rectifier",
        "?               this help (any key closes)",
        "q               quit",
    ]

    /// The settings behind the numbers on screen (`P`), with the live alpha and hidden classes.
    public var protocolLines: [String] {
        var rows = state.model?.protocolRows ?? [("model", state.modelProblem ?? "none loaded")]
        if state.model != nil {
            // The live head and its templates (`h`), after the engine's fixed rows.
            rows.append(("head", state.head.protocolSummary))
            rows.append(("templates", state.head.defaultTemplates.summary + " (each normalised, averaged, normalised)"))
            let options = state.readout.inferenceOptions
            rows.append(("refinement", state.readout.isRefined
                ? "PAMR \(options.pamrSteps) steps, dilations \(options.pamrDilations.map(String.init).joined(separator: " and ")), every map at the image's size up to \(Readout.maxRefinedSide) x \(Readout.maxRefinedSide) pixels (r: off)"
                : "none: the maps on the patch grid (r: PAMR \(Readout.refinedSteps))"))
        }
        rows.append(("alpha", state.alphaIsActive ? Format.alpha(state.shownAlpha) : "off (no rectifier)"))
        rows.append(("classes", "\(state.classes.count): " + state.classes.joined(separator: ", ")))
        rows.append(("pictures", state.graphicsSetup.summary))
        if !state.hiddenClasses.isEmpty {
            rows.append(("left out", state.hiddenClasses.sorted().map { state.classes[$0] }.joined(separator: ", ")))
        }
        let width = rows.map(\.0.count).max() ?? 0
        return ["protocol - the settings behind the numbers", ""]
            + rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
    }

    func drawProtocol(_ grid: inout CellGrid) { drawBox(protocolLines, &grid) }

    func drawHelp(_ grid: inout CellGrid) { drawBox(Self.helpLines, &grid) }

    /// A centred box of text lines over the frame.
    func drawBox(_ lines: [String], _ grid: inout CellGrid) {
        let w = min(grid.width - 2, (lines.map(\.count).max() ?? 0) + 4)
        let h = min(grid.height - 2, lines.count + 2)
        let box = Rect(x: (grid.width - w) / 2, y: (grid.height - h) / 2, width: w, height: h)
        grid.fill(box, with: Cell(glyph: " ", foreground: Palette.titleText, background: Palette.helpBackground))
        for (i, line) in lines.prefix(h - 2).enumerated() {
            grid.write(line, x: box.x + 2, y: box.y + 1 + i, maxWidth: w - 3,
                       foreground: Palette.titleText, background: Palette.helpBackground)
        }
    }
}
