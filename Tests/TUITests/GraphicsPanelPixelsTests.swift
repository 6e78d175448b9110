import Pixels
import XCTest
import Render
import GraphicsTestSupport
@testable import TUI
import ReCLIP

/// The explorer's picture panels as the terminal gets them: every view's panels, sent through
/// `GraphicsScreen` in each protocol, decoded back and compared with Render's composition at
/// the panel's pixel size (exactly for kitty and iTerm2, against the quantised panel for
/// sixel); and the inspect cursor's mark, pixel and patch agreeing.
final class GraphicsPanelPixelsTests: XCTestCase {
    private let cell = CellPixelSize(width: 6, height: 13)
    private let white = RGB(255, 255, 255)

    private func state(_ graphics: GraphicsProtocol, view: ExplorerView, tmux: Bool = false) -> ExplorerState {
        var s = Fixture.state(truth: Fixture.truth)
        s.view = view
        s.graphicsSetup = GraphicsSetup(graphics: graphics, cellSize: cell, cellSizeSource: .windowSize, insideTmux: tmux)
        return s
    }

    /// Each pixel panel of `s` alone through a fresh `GraphicsScreen`, decoded back from the bytes.
    private func decoded(_ s: ExplorerState) throws -> [(panel: PixelPanel, image: RGBImage)] {
        let frame = ExplorerFrame(state: s)
        return try frame.pixelPanels.map { panel in
            var screen = GraphicsScreen(setup: s.graphicsSetup)
            let bytes = screen.update([panel], screenCleared: true, resized: false) { frame.pixels(for: $0) }.bytes
            return (panel, try decode(bytes, panel: panel, setup: s.graphicsSetup))
        }
    }

    private func decode(_ bytes: [UInt8], panel: PixelPanel, setup: GraphicsSetup) throws -> RGBImage {
        if setup.graphics == .kitty && setup.insideTmux {
            return try KittyDecoder.decode(try unwrapTmux(bytes)).image   // placeholders: no positioning
        }
        let prefix = Array("\u{1B}7\u{1B}[\(panel.cells.y + 1);\(panel.cells.x + 1)H".utf8)
        XCTAssertEqual(Array(bytes.prefix(prefix.count)), prefix, "slot \(panel.slot) at its top-left cell")
        XCTAssertEqual(Array(bytes.suffix(2)), Array("\u{1B}8".utf8))
        let body = Array(bytes.dropFirst(prefix.count).dropLast(2))
        switch setup.graphics {
        case .sixel: return try SixelDecoder.decode(body).image
        case .kitty: return try KittyDecoder.decode(body).image
        case .iterm: return try ITermDecoder.decode(body).image
        case .cells: throw DecodeError("cells have no picture bytes")
        }
    }

    /// What Render makes for each panel of the views, at `width` x `height` pixels, from the
    /// fixture's inputs through Render's public pieces.
    private func composed(_ s: ExplorerState, slot: Int, width w: Int, height h: Int) -> RGBImage {
        let maps = Fixture.maps
        let palette = ClassPalette.forClasses(Fixture.classes)
        func labels(_ alpha: Float) -> ClassMask {
            ClassMask(width: w, height: h, labels: maps.labels(alpha: alpha, width: w, height: h))
        }
        func over(_ mask: ClassMask, opacity: Double) -> RGBImage {
            AnnotatedImage(image: Fixture.picture, mask: mask,
                           overlay: MaskOverlay(palette: palette, opacity: opacity, boundaryColor: white)).pixels(width: w, height: h)
        }
        let photo = AreaResampler.resample(Fixture.picture, width: w, height: h)
        switch (s.view, slot) {
        case (.compare, 0): return photo
        case (.compare, 1): return over(Fixture.truth, opacity: 1)
        case (.compare, 2): return over(labels(0), opacity: 1)
        case (.compare, 3): return over(labels(s.shownAlpha), opacity: 1)
        case (.bias, _):
            // Class 0's class bias (slot 0) or space bias (slot 1), one block per patch in
            // RdBu_r over the range symmetric about 0 that both share: -0.1...0.1 here.
            let top = Double(Float(0.1))
            let plane = slot == 0 ? [Float](maps.classBias!.prefix(4)) : [Float](maps.spaceBias!.prefix(4))
            var out = RGBImage(width: w, height: h)
            for y in 0..<h {
                for x in 0..<w {
                    let patch = min(3, (2 * x + 1) * maps.gridWidth / (2 * w))
                    out[x, y] = ColorMap.rdBuR.color(at: (Double(plane[patch]) + top) / (2 * top))
                }
            }
            return out
        case (.difference, _):
            var out = photo
            DifferenceView(palette: palette).draw(before: labels(0), after: labels(s.shownAlpha), onto: &out)
            return out
        case (.overlay, _): return over(labels(s.shownAlpha), opacity: s.opacity)
        default:
            XCTFail("no composition for slot \(slot) of \(s.view)")
            return RGBImage(width: w, height: h)
        }
    }

    func testEveryViewsPanelsDecodeToRendersComposition() throws {
        let views: [(ExplorerView, Int)] = [(.compare, 4), (.bias, 2), (.difference, 1), (.overlay, 1)]
        let setups: [(GraphicsProtocol, Bool)] = [(.kitty, false), (.kitty, true), (.iterm, false), (.sixel, false)]
        for (graphics, tmux) in setups {
            for (view, count) in views {
                let s = state(graphics, view: view, tmux: tmux)
                let panels = try decoded(s)
                XCTAssertEqual(panels.map(\.panel.slot), Array(0..<count), "\(graphics) \(view)")
                for (panel, image) in panels {
                    let name = "\(graphics)\(tmux ? " in tmux" : "") \(view) slot \(panel.slot)"
                    XCTAssertEqual(panel.key.width, panel.cells.width * cell.width, name)
                    XCTAssertEqual(panel.key.height, panel.cells.height * cell.height, name)
                    let want = composed(s, slot: panel.slot, width: panel.key.width, height: panel.key.height)
                    if graphics == .sixel {
                        XCTAssertEqual(image, try SixelEncoder().quantize(want).expanded(), name)
                    } else {
                        XCTAssertEqual(image, want, "\(name): exactly Render's composition")
                    }
                }
            }
        }
    }

    func testTheBiasHeatmapsAndTheDifferenceShowTheirInputs() throws {
        // Guards the compositions above against agreeing by accident: the fixture's space bias
        // is 0 in the first patch and 0.1 in the others, and alpha 1 turns the second quarter
        // from sky to cat.
        let bias = try decoded(state(.kitty, view: .bias))
        let space = bias[1].image
        XCTAssertEqual(space[0, 0], ColorMap.rdBuR.color(at: 0.5), "0 is the middle of RdBu_r")
        XCTAssertEqual(space[space.width - 1, 0], ColorMap.rdBuR.color(at: 1), "0.1 its top")
        XCTAssertNotEqual(ColorMap.rdBuR.color(at: 0.5), ColorMap.rdBuR.color(at: 1))
        let difference = try XCTUnwrap(try decoded(state(.kitty, view: .difference)).first).image
        let cat = ClassPalette.forClasses(Fixture.classes)[1]
        let w = difference.width
        XCTAssertEqual(difference[w * 3 / 8, 0], cat, "the changed quarter in the new class's colour")
        XCTAssertNotEqual(difference[w / 8, 0], cat)
        XCTAssertNotEqual(difference[w / 8, 0], AreaResampler.resample(Fixture.picture, width: w, height: difference.height)[w / 8, 0],
                          "unchanged pixels are dimmed")
    }

    func testTheInspectCursorNamesThePixelAndPatchUnderItsMark() throws {
        let base = state(.kitty, view: .compare).typing("i")   // the inspect box takes its room first
        let picture = base.layout.panels[0].picture
        let (imageWidth, imageHeight) = (Fixture.picture.width, Fixture.picture.height)
        let cells = (0..<picture.width).map { ($0, picture.height / 2) } + (0..<picture.height).map { (picture.width - 1, $0) }
        for (column, row) in cells {
            // A click on the panel's cell puts the cursor there.
            let s = base.applying(.click(x: picture.x + column, y: picture.y + row)).0
            XCTAssertTrue(s.inspecting)
            let frame = ExplorerFrame(state: s)
            let panel = try XCTUnwrap(frame.pixelPanels.first)
            let marked = frame.pixels(for: panel)
            let plain = AreaResampler.resample(Fixture.picture, width: panel.key.width, height: panel.key.height)
            // The mark's box, from the pixels that differ from the unmarked photograph.
            var (x0, y0, x1, y1) = (Int.max, Int.max, -1, -1)
            for y in 0..<marked.height {
                for x in 0..<marked.width where marked[x, y] != plain[x, y] {
                    (x0, y0, x1, y1) = (min(x0, x), min(y0, y), max(x1, x + 1), max(y1, y + 1))
                }
            }
            XCTAssertEqual([x0, y0, x1, y1], [column * cell.width, row * cell.height, (column + 1) * cell.width, (row + 1) * cell.height],
                           "the mark covers the clicked cell (\(column), \(row)) exactly")
            // The inspector names the image pixel and the feature patch under the mark's centre.
            let (w2, h2) = (x0 + x1, y0 + y1)   // twice the centre, in panel pixels
            let pixel = (w2 * imageWidth / (2 * panel.key.width), h2 * imageHeight / (2 * panel.key.height))
            let patch = (w2 * Fixture.maps.gridWidth / (2 * panel.key.width), h2 * Fixture.maps.gridHeight / (2 * panel.key.height))
            let text = frame.grid.text
            XCTAssertTrue(text.contains("inspect cell \(patch.0),\(patch.1) of 4x1, pixel \(pixel.0),\(pixel.1)"),
                          "cell (\(column), \(row)): \(text)")
        }
    }
}
