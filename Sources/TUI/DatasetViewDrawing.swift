import Pixels
import Render
import FileIO
import CLIP
import ReCLIP

/// View 5: the folder as a whole, raw against rectified at the current alpha.
///
/// ```text
/// dataset: 24/24 images at alpha 1.0   mIoU raw 41% -> rectified 47%   improved 18, worse 5
/// per-class IoU, worst change first      confusion (rectified; m: raw)    images, worst first
/// car       12 -> 8   -4  ██▌   |         GT \ prediction  s c m ...       world_000012 31 -> 12 -19
/// ...
/// ```
/// Bars show the rectified figure; `|` marks the raw one. Without ground truth the classes'
/// pixel shares and the share of pixels that change stand in for IoU and mIoU.
extension ExplorerFrame {
    func drawDataset(_ grid: inout CellGrid) {
        let area = layout.main
        guard area.width > 20, area.height > 4 else { return }
        let summary = DatasetSummary(classes: state.classes, scores: state.datasetScores)
        var header = "dataset: \(state.datasetScores.count)/\(state.entries.count) images at alpha \(Format.alpha(state.alpha))"
        if state.model == nil { header = "dataset view needs a model: " + (state.modelProblem ?? ExplorerState.noModelHint) }
        if let m = summary.meanIoU {
            let (up, down) = summary.improvedAndWorsened
            header += "   mIoU raw \(Format.percent(m.raw)) -> rectified \(Format.percent(m.rectified))   improved \(up), worse \(down)"
        } else if !summary.scores.isEmpty {
            header += "   no ground truth: pixel shares and changed pixels"
        }
        if state.datasetSweeping { header += "   " + ["|", "/", "-", "\\"][state.spinnerPhase % 4] + " scoring" }
        grid.write(header, x: area.x, y: area.y, maxWidth: area.width, foreground: .terminalDefault)
        let top = area.y + 2, rows = area.height - 2
        guard rows > 1 else { return }

        // Three columns: classes | matrix | images (the matrix only with ground truth and room).
        let K = state.classes.count
        let matrixWidth = summary.hasGroundTruth ? 12 + 2 * K : 0
        let showMatrix = summary.hasGroundTruth && area.width >= 30 + matrixWidth + 2 + 30 && rows >= K + 2
        let classWidth = min(48, max(30, (area.width - (showMatrix ? matrixWidth + 2 : 0)) / 2))
        // The left column: the class rows, then (with room) mIoU against alpha and each
        // class's share against alpha.
        let classRows = min(rows, summary.classRows.count + 1)
        drawClassRows(summary, &grid, Rect(x: area.x, y: top, width: classWidth, height: classRows))
        var below = top + classRows + 1
        let chartHeight = 12
        if below + chartHeight <= top + rows {
            drawAlphaCurve(summary, &grid, Rect(x: area.x, y: below, width: classWidth, height: chartHeight))
            below += chartHeight + 1
        }
        if below + 3 <= top + rows {
            drawShareCurves(summary, &grid, Rect(x: area.x, y: below, width: classWidth, height: top + rows - below))
        }
        var x = area.x + classWidth + 2
        if showMatrix {
            drawMatrix(summary, &grid, Rect(x: x, y: top, width: matrixWidth, height: rows))
            x += matrixWidth + 2
        }
        drawImageList(summary, &grid, Rect(x: x, y: top, width: area.x + area.width - x, height: rows))
    }

    func drawClassRows(_ summary: DatasetSummary, _ grid: inout CellGrid, _ box: Rect) {
        let title = summary.hasGroundTruth ? "per-class IoU %, worst change first" : "pixel share %, most lost first"
        grid.write(title, x: box.x, y: box.y, maxWidth: box.width, foreground: Palette.dimText)
        let nameWidth = 10, figures = 16
        let barWidth = max(4, box.width - nameWidth - figures - 1)
        for (row, r) in summary.classRows.prefix(box.height - 1).enumerated() {
            let y = box.y + 1 + row
            let name = String(state.classes[r.index].prefix(nameWidth - 1)).padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let change = Int((r.change * 100).rounded())
            let text = name + "\(Int((r.raw * 100).rounded()))".leftPadded(3) + " ->" + "\(Int((r.rectified * 100).rounded()))".leftPadded(4)
                + " " + Format.signed(change).leftPadded(4) + " "
            grid.write(text, x: box.x, y: y, maxWidth: box.width)
            let colour: CellColor = change < 0 ? .rgb(RGB(220, 60, 60)) : (change > 0 ? .rgb(RGB(70, 190, 90)) : Palette.dimText)
            let filled = Int((r.rectified * Double(barWidth)).rounded()), mark = min(barWidth - 1, Int((r.raw * Double(barWidth)).rounded()))
            let x0 = box.x + min(box.width - 1, text.count)
            for i in 0..<barWidth where x0 + i < box.x + box.width {
                grid[x0 + i, y] = i == mark ? Cell(glyph: "|", foreground: .terminalDefault)
                                            : (i < filled ? Cell(glyph: "\u{2588}", foreground: colour) : Cell(glyph: "\u{00B7}", foreground: Palette.dimText))
            }
        }
    }

    /// Ground truth by prediction, each row normalised (the share of a class's pixels going to
    /// each prediction), in viridis; the diagonal is the per-class recall.
    func drawMatrix(_ summary: DatasetSummary, _ grid: inout CellGrid, _ box: Rect) {
        guard let matrix = state.datasetMatrixRectified ? summary.rectified : summary.raw else { return }
        let K = matrix.classCount
        grid.write("confusion, \(state.datasetMatrixRectified ? "rectified" : "raw") (m)", x: box.x, y: box.y,
                   maxWidth: box.width, foreground: Palette.dimText)
        let label = 10
        for p in 0..<K {
            let initial = String(state.classes[p].prefix(1))
            grid.write(initial, x: box.x + label + 2 * p, y: box.y + 1, foreground: .rgb(colour(p)))
        }
        let totals = matrix.groundTruthArea
        for g in 0..<min(K, box.height - 2) {
            let y = box.y + 2 + g
            grid.write(String(state.classes[g].prefix(label - 1)), x: box.x, y: y, maxWidth: label - 1)
            let total = totals[g]
            for p in 0..<K {
                let share = total > 0 ? Double(matrix.counts[g * K + p]) / Double(total) : 0
                let c = ColorMap.viridis.color(at: share)
                grid.write("  ", x: box.x + label + 2 * p, y: y, background: total > 0 ? .rgb(c) : .terminalDefault)
            }
        }
    }

    func drawImageList(_ summary: DatasetSummary, _ grid: inout CellGrid, _ box: Rect) {
        guard box.width > 10 else { return }
        let title = summary.hasGroundTruth ? "images by mIoU change, worst first (Enter opens)"
                                           : "images by pixels changed, most first (Enter opens)"
        grid.write(title, x: box.x, y: box.y, maxWidth: box.width, foreground: Palette.dimText)
        let order = summary.imagesWorstFirst
        let rows = ExplorerLayout.window(count: order.count, focus: state.datasetCursor, rows: box.height - 1)
        for (row, i) in rows.enumerated() {
            let index = order[i]
            let s = summary.scores[index]!
            var text = state.entries[index].name
            if let a = s.raw?.meanIoU, let b = s.rectified?.meanIoU, a.isFinite, b.isFinite {
                text += "  \(Int((a * 100).rounded())) -> \(Int((b * 100).rounded()))  " + Format.signed(Int(((b - a) * 100).rounded()))
            } else {
                text += "  changed " + Format.percent(s.changed)
            }
            let on = i == state.datasetCursor
            grid.write(text.padding(toLength: box.width, withPad: " ", startingAt: 0), x: box.x, y: box.y + 1 + row, maxWidth: box.width,
                       foreground: on ? Palette.highlightText : .terminalDefault,
                       background: on ? Palette.highlightBackground : .terminalDefault)
        }
    }

    /// The image under the dataset cursor (its entry index), if it has been scored.
    var datasetCursorImage: Int? {
        let order = DatasetSummary(classes: state.classes, scores: state.datasetScores).imagesWorstFirst
        return order.indices.contains(state.datasetCursor) ? order[state.datasetCursor] : nil
    }

    /// mIoU against alpha (0 to 2 by 0.1) for the dataset and, below it, for the image under
    /// the cursor, each on its own scale, the best alpha marked `▼` and the current one `▲`.
    func drawAlphaCurve(_ summary: DatasetSummary, _ grid: inout CellGrid, _ box: Rect) {
        guard let dataset = summary.meanIoUCurve else {
            grid.write("mIoU against alpha needs ground truth", x: box.x, y: box.y, maxWidth: box.width, foreground: Palette.dimText)
            return
        }
        let half = box.height / 2
        drawCurve(dataset, title: "dataset mIoU", colour: RGB(70, 140, 200), &grid,
                  Rect(x: box.x, y: box.y, width: box.width, height: half))
        if let index = datasetCursorImage, let curve = summary.scores[index]?.meanIoUCurve {
            drawCurve(curve, title: state.entries[index].name, colour: RGB(200, 160, 70), &grid,
                      Rect(x: box.x, y: box.y + half, width: box.width, height: box.height - half))
        }
    }

    /// One curve over `AlphaCurve.alphas` as bars in eighth blocks: title with the best alpha,
    /// the plot, the axis with the current alpha, the alpha ticks.
    func drawCurve(_ values: [Double], title: String, colour: RGB, _ grid: inout CellGrid, _ box: Rect) {
        let alphas = AlphaCurve.alphas
        let plotHeight = box.height - 3, label = 5
        let step = max(1, min(2, (box.width - label - 1) / alphas.count))
        guard plotHeight >= 1, label + 1 + step * alphas.count <= box.width, values.count == alphas.count else { return }
        let best = AlphaCurve.best(values)
        var heading = title
        if let best { heading += ": best \(Format.alpha(alphas[best.index])), \(Format.percent(best.value))" }
        grid.write(heading, x: box.x, y: box.y, maxWidth: box.width, foreground: Palette.dimText)
        let finite = values.filter(\.isFinite)
        guard let high = finite.max(), let low = finite.min() else { return }
        let bottom = max(0, low - max(0.01, (high - low) * 0.5)), top = max(high, bottom + 0.01)
        let y0 = box.y + 1, x0 = box.x + label + 1
        grid.write(Format.percent(top).leftPadded(label - 1) + "\u{2524}", x: box.x, y: y0, maxWidth: label + 1)
        if plotHeight > 1 {
            grid.write(Format.percent(bottom).leftPadded(label - 1) + "\u{2524}", x: box.x, y: y0 + plotHeight - 1, maxWidth: label + 1)
        }
        let blocks: [Unicode.Scalar] = ["\u{2581}", "\u{2582}", "\u{2583}", "\u{2584}", "\u{2585}", "\u{2586}", "\u{2587}", "\u{2588}"]
        for (i, v) in values.enumerated() where v.isFinite {
            let eighths = max(1, Int(((v - bottom) / (top - bottom) * Double(plotHeight * 8)).rounded()))
            let c: CellColor = i == best?.index ? .rgb(RGB(90, 210, 110)) : .rgb(colour)
            for row in 0..<plotHeight {
                let fill = eighths - (plotHeight - 1 - row) * 8
                guard fill > 0 else { continue }
                for dx in 0..<step { grid[x0 + i * step + dx, y0 + row] = Cell(glyph: blocks[min(8, fill) - 1], foreground: c) }
            }
        }
        let axisY = y0 + plotHeight
        for i in 0..<(alphas.count * step) { grid[x0 + i, axisY] = Cell(glyph: "\u{2500}", foreground: Palette.dimText) }
        if let best { grid[x0 + best.index * step, axisY] = Cell(glyph: "\u{25BC}", foreground: .rgb(RGB(90, 210, 110))) }
        if let current = alphas.firstIndex(where: { abs($0 - state.alpha) < 0.05 }) {
            grid[x0 + current * step + (step > 1 ? 1 : 0), axisY] = Cell(glyph: "\u{25B2}", foreground: .terminalDefault)
        }
        for (i, a) in alphas.enumerated() where i % 5 == 0 {
            grid.write(Format.alpha(a), x: x0 + i * step, y: axisY + 1, maxWidth: 4, foreground: Palette.dimText)
        }
    }

    /// Each class's pixel share over the folder against alpha (0 to 2), one sparkline a class
    /// scaled to the class's own largest share, with its share at alpha 0 and 2.
    func drawShareCurves(_ summary: DatasetSummary, _ grid: inout CellGrid, _ box: Rect) {
        let curve = summary.shareCurve
        guard !curve.isEmpty, box.height >= 2 else { return }
        grid.write("pixel share by alpha, 0 -> 2", x: box.x, y: box.y, maxWidth: box.width, foreground: Palette.dimText)
        let K = curve[0].count, nameWidth = 10
        let blocks: [Unicode.Scalar] = ["\u{2581}", "\u{2582}", "\u{2583}", "\u{2584}", "\u{2585}", "\u{2586}", "\u{2587}", "\u{2588}"]
        for k in 0..<min(K, box.height - 1) {
            let y = box.y + 1 + k
            let series = curve.map { $0[k] }
            let peak = series.max() ?? 0
            grid.write(String(state.classes[k].prefix(nameWidth - 1)), x: box.x, y: y, maxWidth: nameWidth - 1)
            for (i, v) in series.enumerated() where box.x + nameWidth + i < box.x + box.width {
                let b = peak > 0 ? blocks[max(0, min(7, Int((v / peak * 7).rounded())))] : " "
                grid[box.x + nameWidth + i, y] = Cell(glyph: v > 0 ? b : "\u{00B7}", foreground: .rgb(colour(k)))
            }
            let text = " " + Format.percent(series.first ?? 0) + " -> " + Format.percent(series.last ?? 0)
            grid.write(text, x: box.x + nameWidth + series.count, y: y, maxWidth: max(0, box.width - nameWidth - series.count))
        }
    }
}
