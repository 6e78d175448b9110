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
        let classWidth = min(44, max(30, (area.width - (showMatrix ? matrixWidth + 2 : 0)) / 2))
        drawClassRows(summary, &grid, Rect(x: area.x, y: top, width: classWidth, height: rows))
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
}
