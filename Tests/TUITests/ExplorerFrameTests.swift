import Pixels
import Render
import XCTest
@testable import TUI
import Datasets
import ReCLIP

/// Frames drawn from states: what a person would read on screen.
final class ExplorerFrameTests: XCTestCase {
    func testFramesAtEverySizeAndView() {
        for (w, h) in ExplorerLayoutTests.sizes {
            for view in ExplorerView.allCases {
                for inspecting in [false, true] {
                    var s = Fixture.state(truth: Fixture.truth, width: w, height: h)
                    s.view = view
                    s.inspecting = inspecting
                    let grid = ExplorerFrame(state: s).grid
                    XCTAssertEqual(grid.width, w)
                    XCTAssertEqual(grid.height, h)
                    if s.layout.isTooSmall {
                        XCTAssertTrue(grid.text.contains("too small"), "\(w)x\(h)")
                    } else {
                        XCTAssertTrue(grid.text(row: h - 1).contains("alpha 1.0"), "\(w)x\(h) \(view): \(grid.text(row: h - 1))")
                        XCTAssertTrue(grid.text(row: 0).contains(view.title), "\(w)x\(h)")
                    }
                }
            }
        }
    }

    func testTooSmallMessageNamesTheSizes() {
        let grid = ExplorerFrame(state: Fixture.state(width: 30, height: 8)).grid
        XCTAssertTrue(grid.text.contains("terminal too small: 30x8"))
        XCTAssertTrue(grid.text.contains("40x12"))
    }

    func testStatusLineWithoutModel() {
        let s = Fixture.state(model: nil)
        let status = ExplorerFrame(state: s).statusText
        XCTAssertTrue(status.hasPrefix(ExplorerState.noModelHint), status)
        XCTAssertTrue(status.contains("40x20"), status)
        XCTAssertFalse(status.contains("alpha"), status)
    }

    func testStatusLineSaysWhenThePhotoIsOutsideTheWorldModelsWorld() {
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples")
        let photo = ImageEntry(url: samples.appendingPathComponent("photos/astronaut.png"))
        let scene = ImageEntry(url: samples.appendingPathComponent("world/JPEGImages/world_000000.png"),
                               groundTruth: samples.appendingPathComponent("world/SegmentationClass/world_000000.png"))
        let world = ModelInfo(name: "mini-clip (world)", variant: "ReCLIP", hasRectifier: true, knowsOnlyTheWorld: true)
        var s = ExplorerState(entries: [photo, scene], classes: Fixture.classes, model: world, width: 122, height: 40)
        XCTAssertTrue(ExplorerFrame(state: s).statusText.hasPrefix(ExplorerState.outsideTheWorldNotice))
        s.selected = 1
        XCTAssertFalse(ExplorerFrame(state: s).statusText.contains("outside"), ExplorerFrame(state: s).statusText)
        // Any other model segments any photo without the note.
        s = ExplorerState(entries: [photo], classes: Fixture.classes, model: Fixture.model, width: 122, height: 40)
        XCTAssertFalse(ExplorerFrame(state: s).statusText.contains("outside"))
    }

    func testStatusLineWithModel() {
        let status = ExplorerFrame(state: Fixture.state()).statusText
        XCTAssertTrue(status.contains("model test-model (ReCLIP)"), status)
        XCTAssertTrue(status.contains("alpha 1.0"), status)
        XCTAssertTrue(status.contains("engine 250 ms"), status)
        let untrained = ExplorerFrame(state: Fixture.state(maps: Fixture.rawOnlyMaps)).statusText
        XCTAssertTrue(untrained.contains("alpha off"), untrained)
    }

    func testCompareCaptionsShowMeanIoU() {
        // Raw: sky left, grass right, exactly the ground truth: mIoU 100%.
        // At alpha 1, cat takes the second quarter: sky IoU 1/2, cat 0, grass 1 -> 50%.
        let text = ExplorerFrame(state: Fixture.state(truth: Fixture.truth)).grid.text
        XCTAssertTrue(text.contains("raw CLIP  mIoU 100%"), text)
        XCTAssertTrue(text.contains("rectified (alpha 1.0)  mIoU 50%"), text)
    }

    func testANarrowPanelCutsTheCaptionNotTheFigure() {
        XCTAssertEqual(PanelSpec.title("rectified (alpha 1.0)", figure: "mIoU 50%", width: 24), "rectified (al.  mIoU 50%")
        XCTAssertEqual(PanelSpec.title("raw CLIP", figure: "mIoU 9%", width: 12), "raw CLIP  mIoU 9%", "too narrow to cut: whole")
        XCTAssertEqual(PanelSpec.title("rectified", figure: nil, width: 4), "rectified")
        XCTAssertEqual(PanelSpec.title("raw CLIP", figure: "mIoU 9%", width: 40), "raw CLIP  mIoU 9%")
        // On screen: a 70-column terminal's panels are too narrow for the rectified caption and its figure.
        let text = ExplorerFrame(state: Fixture.state(truth: Fixture.truth, width: 70, height: 30)).grid.text
        XCTAssertTrue(text.contains("\u{2026}  mIoU 50%"), text)
    }

    func testAlphaChangesOnlyTheRectifiedPanel() {
        let s = Fixture.state()
        let layout = s.layout
        let before = ExplorerFrame(state: s).grid
        let after = ExplorerFrame(state: s.typing("0")).grid
        func cells(_ g: CellGrid, _ r: Rect) -> [Cell] {
            (r.y..<(r.y + r.height)).flatMap { y in (r.x..<(r.x + r.width)).map { g[$0, y] } }
        }
        // View 1: image | raw | rectified (no ground truth here).
        XCTAssertEqual(layout.panels.count, 3)
        let (image, raw, rect) = (layout.panels[0].picture, layout.panels[1].picture, layout.panels[2].picture)
        XCTAssertEqual(cells(before, image), cells(after, image))
        XCTAssertEqual(cells(before, raw), cells(after, raw))
        XCTAssertNotEqual(cells(before, rect), cells(after, rect))
        // At alpha 0 both mask panels show the same mask.
        XCTAssertEqual(cells(after, raw), cells(after, rect))
    }

    func testLegendShowsSharesAndTheirChange() {
        // Raw: sky 50%, grass 50%. Alpha 1: the second quarter turns to cat.
        XCTAssertEqual(Fixture.state().layout.panels[0].picture.width % 4, 0, "quarters fall between pixels")
        let text = ExplorerFrame(state: Fixture.state()).grid.text
        XCTAssertTrue(text.contains("sky 25% (-25)"), text)
        XCTAssertTrue(text.contains("cat 25% (+25)"), text)
        XCTAssertTrue(text.contains("grass 50%"), text)
        let raw = ExplorerFrame(state: Fixture.state().typing("0")).grid.text
        XCTAssertTrue(raw.contains("sky 50%"), raw)
        XCTAssertFalse(raw.contains("(+"), "no change shown at alpha 0")
    }

    func testBiasViewUsesOneDivergingScale() {
        let s = Fixture.state().typing("2")
        let grid = ExplorerFrame(state: s).grid
        XCTAssertTrue(grid.text.contains("class bias: sky"), grid.text)
        XCTAssertTrue(grid.text.contains("space bias: sky"))
        // Largest magnitude over sky's two maps: space bias 0.10 (Render's colour bar labels).
        XCTAssertTrue(grid.text.contains("-0.1"), grid.text)
        XCTAssertTrue(grid.text.contains(" 0.1"), grid.text)
        // Class bias is 0.05 everywhere: every pixel of its panel has the same reddish colour.
        let p = s.layout.panels[0].picture
        let expected = ColorMap.rdBuR.color(at: (0.05 + 0.1) / 0.2)
        XCTAssertEqual(grid[p.x + 1, p.y + 1].foreground, .rgb(expected))
        XCTAssertTrue(ExplorerFrame(state: s.typing("c")).grid.text.contains("class bias: cat"))
        let untrained = ExplorerFrame(state: Fixture.state(maps: Fixture.rawOnlyMaps).typing("2")).grid.text
        XCTAssertTrue(untrained.contains("no trained rectifier"), untrained)
    }

    /// `--rectifier cls-subtract`: its class bias (0.05 for sky at every patch) in the class-bias
    /// panel, an empty space bias, and the name in the captions, status line and messages.
    func testClsSubtractShowsInTheBiasViewAndNamesItself() {
        let m = Fixture.maps
        let bias = ClassTokenBias.broadcast([0.05, 0, 0], pixels: m.gridWidth * m.gridHeight)
        var maps = SegmentationMaps(classNames: m.classNames, gridWidth: m.gridWidth, gridHeight: m.gridHeight, raw: m.raw,
                                    classBias: bias, spaceBias: [Float](repeating: 0, count: bias.count), bias: bias)
        maps.rectification = .classToken
        let model = ModelInfo(name: "test-model", variant: Rectification.classToken.displayName, hasRectifier: true, trainingFree: true)
        let s = Fixture.state(model: model, maps: maps).typing("2")
        let frame = ExplorerFrame(state: s)
        let text = frame.grid.text
        XCTAssertTrue(text.contains("class bias (cls-subtract): sky"), text)
        XCTAssertTrue(text.contains("space bias: none (cls-subtract)"), text)
        XCTAssertTrue(frame.statusText.contains("(cls-subtract (SegEarth-OV))"), frame.statusText)
        XCTAssertTrue(frame.statusText.contains("alpha 1.0"), frame.statusText)
        // One symmetric scale over both maps, +-0.05: the class panel at its top, the space panel at its middle.
        let cls = s.layout.panels[0].picture, spc = s.layout.panels[1].picture
        XCTAssertEqual(frame.grid[cls.x + 1, cls.y + 1].foreground, .rgb(ColorMap.rdBuR.color(at: 1)))
        XCTAssertEqual(frame.grid[spc.x + 1, spc.y + 1].foreground, .rgb(ColorMap.rdBuR.color(at: 0.5)))
        // Nothing to adapt, and no "trained on MaskCLIP" note on another head.
        XCTAssertTrue(s.typing("T").message?.contains("cls-subtract (SegEarth-OV) is training-free") ?? false, "\(String(describing: s.typing("T").message))")
        XCTAssertFalse(s.typing("h").message?.contains("applied as is") ?? true, "\(String(describing: s.typing("h").message))")
        XCTAssertTrue(Fixture.state().typing("h").message?.contains("applied as is") ?? false, "a trained rectifier still says so")
    }

    func testDifferenceViewCountsChangedPixels() {
        let text = ExplorerFrame(state: Fixture.state().typing("3")).grid.text
        XCTAssertTrue(text.contains("25% of pixels"), text)
        let none = ExplorerFrame(state: Fixture.state().typing("30")).grid.text
        XCTAssertTrue(none.contains("0% of pixels"), none)
    }

    func testOverlayModes() {
        let s = Fixture.state(truth: Fixture.truth).typing("4")
        XCTAssertTrue(ExplorerFrame(state: s).grid.text.contains("mask over image (opacity 50%)"))
        XCTAssertTrue(ExplorerFrame(state: s.typing("o")).grid.text.contains("ground truth (opacity 50%)"))
        let image = s.typing("oo")
        let p = image.layout.panels[0].picture
        XCTAssertEqual(ExplorerFrame(state: image).grid[p.x, p.y].foreground, .rgb(RGB(40, 80, 220)), "image only shows the photo")
    }

    func testNoModelShowsImageAndGroundTruth() {
        let s = Fixture.state(model: nil, truth: Fixture.truth)
        let grid = ExplorerFrame(state: s).grid
        XCTAssertTrue(grid.text.contains("image"))
        XCTAssertTrue(grid.text.contains("ground truth"))
        XCTAssertTrue(grid.text.contains("sky 50%"), "the legend shows the ground truth's shares: \(grid.text)")
        XCTAssertTrue(grid.text.contains("grass 50%"))
        let p = s.layout.panels[1].picture
        XCTAssertEqual(grid[p.x, p.y].foreground, .rgb(ClassPalette.forClasses(Fixture.classes)[0]), "ground truth's left is sky")
    }

    func testInspectorListsTopClassesWithTheirTerms() {
        var s = Fixture.state().typing("i")
        s.cursor = CursorPosition(u: 0.4, v: 0.5)   // feature cell (1, 0)
        let text = ExplorerFrame(state: s).grid.text
        XCTAssertTrue(text.contains("inspect cell 1,0 of 4x1"), text)
        // sky: raw 0.3, class 0.05, space 0.1, rectified 0.15; cat: 0.2 throughout; grass 0.1.
        XCTAssertTrue(text.contains("sky         0.300  0.050  0.100  0.150"), text)
        XCTAssertTrue(text.contains("cat         0.200  0.000  0.000  0.200"), text)
        XCTAssertTrue(text.contains("grass       0.100  0.000  0.000  0.100"), text)
        let cat = text.range(of: "cat         0.200")!.lowerBound, sky = text.range(of: "sky         0.300")!.lowerBound
        guard let grass = text.range(of: "grass       0.100")?.lowerBound else { return XCTFail(text) }
        XCTAssertLessThan(cat, sky, "classes are ordered by rectified logit")
        XCTAssertLessThan(sky, grass, "classes are ordered by rectified logit")
    }

    func testHelpListsEveryKey() {
        let text = ExplorerFrame(state: Fixture.state(width: 120, height: 40).typing("?")).grid.text
        for key in ["j / k", "Tab", "1 2 3 4", "- / +", "0 / p", "o ", "< / >", "c / C", "i ", "s ", "? ", "q ", "T    ", "b               compare view"] {
            XCTAssertTrue(text.contains(key), "help lacks \(key)")
        }
    }

    func testNoUnicodeFallbackUsesOneColourPerCell() {
        var s = Fixture.state().typing("4oo")
        s.halfBlocks = false
        let p = s.layout.panels[0].picture
        let cell = ExplorerFrame(state: s).grid[p.x, p.y]
        XCTAssertEqual(cell.glyph, " ")
        XCTAssertEqual(cell.background, .rgb(RGB(40, 80, 220)))
    }
}

/// The masks and the photo kept from frame to frame change nothing on screen: a run of frames
/// drawn through one cache (as `Terminal` draws them) equals each frame drawn afresh, through alpha
/// steps, hidden classes, views, and maps replaced by new ones, equal or not.
final class FrameMemoTests: XCTestCase {
    func testFramesWithTheMemoEqualFramesDrawnAfresh() {
        let cache = FrameCache()
        var s = Fixture.state(truth: Fixture.truth, width: 120, height: 40)
        var other = Fixture.maps
        other = SegmentationMaps(classNames: other.classNames, gridWidth: other.gridWidth, gridHeight: other.gridHeight,
                                 raw: other.raw.reversed(), classBias: other.classBias, spaceBias: other.spaceBias, bias: other.bias)
        var steps = 0
        for view in [ExplorerView.compare, .overlay, .difference, .bias] {
            s.view = view
            for alpha: Float in [1, 0, 0.5, 1, 2, 0.5] {
                for hidden: Set<Int> in [[], [1]] {
                    s.alpha = alpha
                    s.hiddenClasses = hidden
                    XCTAssertEqual(ExplorerFrame(state: s, cache: cache).grid, ExplorerFrame(state: s).grid,
                                   "\(view) alpha \(alpha) hidden \(hidden)")
                    steps += 1
                }
            }
            // New maps with other values, then the first maps again but newly allocated.
            s.segmentations[0] = .done(other, seconds: 0.1)
            XCTAssertEqual(ExplorerFrame(state: s, cache: cache).grid, ExplorerFrame(state: s).grid, "\(view) other maps")
            let copy = Fixture.maps
            s.segmentations[0] = .done(copy, seconds: 0.1)
            XCTAssertEqual(ExplorerFrame(state: s, cache: cache).grid, ExplorerFrame(state: s).grid, "\(view) maps again")
        }
        XCTAssertEqual(steps, 48)
        // Another photograph of the same size is resampled again, in cells and in pixels.
        s.view = .overlay
        XCTAssertEqual(ExplorerFrame(state: s, cache: cache).grid, ExplorerFrame(state: s).grid, "the photo kept")
        var photo = Fixture.picture
        photo.pixels = photo.pixels.map { 255 - $0 }
        s.pictures[0] = photo
        XCTAssertEqual(ExplorerFrame(state: s, cache: cache).grid, ExplorerFrame(state: s).grid, "another photo")
        s.graphicsSetup = GraphicsSetup(graphics: .kitty, cellSize: CellPixelSize(width: 8, height: 16), insideTmux: false)
        let panels = ExplorerFrame(state: s).pixelPanels
        XCTAssertFalse(panels.isEmpty)
        for panel in panels {
            XCTAssertEqual(ExplorerFrame(state: s, cache: cache).pixels(for: panel), ExplorerFrame(state: s).pixels(for: panel))
        }
        s.pictures[0] = Fixture.picture
        for panel in panels {
            XCTAssertEqual(ExplorerFrame(state: s, cache: cache).pixels(for: panel), ExplorerFrame(state: s).pixels(for: panel), "the first photo again")
        }
        // The cache recognises copies of one computation and nothing else.
        let maps = Fixture.maps
        let copy = maps
        XCTAssertTrue(FrameCache.same(maps, copy))
        XCTAssertFalse(FrameCache.same(maps, Fixture.maps), "equal values, another computation")
        XCTAssertFalse(FrameCache.same(maps, other))
    }
}
