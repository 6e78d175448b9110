import Pixels
import XCTest
@testable import Render

final class OverlayTests: XCTestCase {
    func testVOCPaletteHasTheStandardColours() {
        let voc = ClassPalette.voc(count: 256)
        XCTAssertEqual(voc[0], RGB(0, 0, 0))
        XCTAssertEqual(voc[1], RGB(128, 0, 0))        // aeroplane
        XCTAssertEqual(voc[2], RGB(0, 128, 0))
        XCTAssertEqual(voc[7], RGB(128, 128, 128))
        XCTAssertEqual(voc[8], RGB(64, 0, 0))
        XCTAssertEqual(voc[15], RGB(192, 128, 128))   // person
        XCTAssertEqual(voc[20], RGB(0, 64, 128))      // tv/monitor
        XCTAssertEqual(voc[255], RGB(224, 224, 192))  // the void/boundary colour
        XCTAssertEqual(Set(voc).count, 256)
    }

    func testDistinctPaletteColoursAreFarApart() {
        let palette = ClassPalette.distinct(count: 30)
        XCTAssertEqual(palette.count, 30)
        XCTAssertEqual(Array(ClassPalette.distinct(count: 60).prefix(30)), palette)
        var closest = Float.infinity
        for i in 0..<palette.count {
            for j in (i + 1)..<palette.count {
                let a = OKLab(palette[i]), b = OKLab(palette[j])
                closest = min(closest, a.distance2(b).squareRoot())
            }
        }
        // OKLab distances: 0.02 is about a just-noticeable difference.
        XCTAssertGreaterThan(closest, 0.04)
        XCTAssertEqual(ClassPalette.forClasses(["background"] + (1...20).map { "c\($0)" }), ClassPalette.voc(count: 21))
        // Familiar names keep their familiar colours; the others get distinct ones, all different.
        let mixed = ClassPalette.forClasses(["sky", "widget", "grass", "gadget"])
        XCTAssertEqual(mixed[0], ClassPalette.familiar["sky"])
        XCTAssertEqual(mixed[2], ClassPalette.familiar["grass"])
        XCTAssertEqual(Set(mixed).count, 4)
        XCTAssertEqual(ClassPalette.forClasses(["widget", "gadget"]), ClassPalette.distinct(count: 2))
    }

    func testMaskBlendsAtOpacityAndLeavesIgnoreTransparent() {
        var pixels = RGBImage(width: 4, height: 2, fill: RGB(100, 100, 100))
        let mask = ClassMask(width: 2, height: 1, labels: [1, 255] as [Int32])
        let palette = [RGB(0, 0, 0), RGB(200, 0, 50)]
        MaskOverlay(palette: palette, opacity: 0.25).draw(mask, onto: &pixels)
        // 0.75 * 100 + 0.25 * 200 = 125, 0.75 * 100 = 75, 0.75 * 100 + 0.25 * 50 = 87.5 -> 88.
        XCTAssertEqual(pixels[0, 0], RGB(125, 75, 88))
        XCTAssertEqual(pixels[1, 1], RGB(125, 75, 88))
        XCTAssertEqual(pixels[2, 0], RGB(100, 100, 100))
        XCTAssertEqual(pixels[3, 1], RGB(100, 100, 100))
        var opaque = RGBImage(width: 2, height: 1)
        MaskOverlay(palette: palette, opacity: 1).draw(mask, onto: &opaque)
        XCTAssertEqual(opaque[0, 0], palette[1])
    }

    func testBoundariesAreDrawnBetweenClassesOnly() {
        var pixels = RGBImage(width: 4, height: 1)
        let mask = ClassMask(width: 4, height: 1, labels: [1, 1, 2, 255] as [Int32])
        MaskOverlay(palette: ClassPalette.voc(count: 3), opacity: 0, boundaryColor: RGB(255, 255, 255)).draw(mask, onto: &pixels)
        XCTAssertEqual(pixels[0, 0], RGB(0, 0, 0))
        XCTAssertEqual(pixels[1, 0], RGB(255, 255, 255))
        XCTAssertEqual(pixels[2, 0], RGB(0, 0, 0))   // next to ignore: no boundary
    }

    func testMaskIsScaledByNearestNeighbour() {
        // A 2x2 mask over an 8x8 pixel grid: each label covers a 4x4 quarter.
        var pixels = RGBImage(width: 8, height: 8)
        let mask = ClassMask(width: 2, height: 2, labels: [0, 1, 2, 3] as [UInt8])
        let palette = ClassPalette.voc(count: 4)
        MaskOverlay(palette: palette, opacity: 1).draw(mask, onto: &pixels)
        XCTAssertEqual(pixels[3, 3], palette[0])
        XCTAssertEqual(pixels[4, 3], palette[1])
        XCTAssertEqual(pixels[3, 4], palette[2])
        XCTAssertEqual(pixels[7, 7], palette[3])
    }

    func testAnnotatedImageFromFixtures() throws {
        let photo = try ImageFile.read(path: Fixtures.path("rgb8.png"))
        let mask = try ImageFile.readMask(path: Fixtures.path("voc_mask.png"))
        let view = AnnotatedImage(image: photo, mask: mask,
                                  overlay: MaskOverlay(palette: ClassPalette.voc(), opacity: 1))
        let grid = view.grid(columns: 8, rows: 3, config: CanvasConfig())
        // Column 5 is class 15 (person) everywhere; column 3 is ignore: the image shows.
        XCTAssertEqual(grid[5, 0].foreground, .rgb(RGB(192, 128, 128)))
        XCTAssertEqual(grid[3, 0].foreground, .rgb(Fixtures.pattern(x: 3, y: 0)))
        XCTAssertEqual(grid[0, 2].background, .rgb(RGB(128, 0, 0)))
    }

    func testDifferenceViewHighlightsChangedPixelsOverADimmedImage() {
        var pixels = RGBImage(width: 2, height: 1, fill: RGB(255, 255, 255))
        let before = ClassMask(width: 2, height: 1, labels: [1, 1] as [Int32])
        let after = ClassMask(width: 2, height: 1, labels: [1, 2] as [Int32])
        let palette = ClassPalette.voc(count: 3)
        let changed = DifferenceView(palette: palette, dimming: 0.5).draw(before: before, after: after, onto: &pixels)
        XCTAssertEqual(changed, 0.5)
        // White at half the light: linear 0.5 -> sRGB 188.
        XCTAssertEqual(pixels[0, 0], RGB(188, 188, 188))
        XCTAssertEqual(pixels[1, 0], palette[2])
        XCTAssertEqual(DifferenceView.changedFraction(before, after), 0.5)
    }

    func testLegendShowsSwatchNameAndShare() throws {
        let mask = try ImageFile.readMask(path: Fixtures.path("voc_mask.png"))
        var names = (0..<21).map { "class\($0)" }
        names[0] = "background"; names[1] = "aeroplane"; names[15] = "person"
        let entries = Legend.entries(mask: mask, names: names, palette: ClassPalette.voc(count: 21))
        // 42 labelled pixels: person 24, background 9, aeroplane 9.
        XCTAssertEqual(entries.map(\.name), ["person", "background", "aeroplane"])
        XCTAssertEqual(entries[0].share!, 24.0 / 42, accuracy: 1e-12)
        let grid = Legend(entries: entries).grid(width: 24, config: CanvasConfig())
        let line = String(String.UnicodeScalarView(grid.cells[0..<24].map(\.glyph)))
        XCTAssertEqual(line, "   person      57.1%    ")
        XCTAssertEqual(grid[0, 0].background, .rgb(RGB(192, 128, 128)))
        XCTAssertEqual(grid[1, 2].background, .rgb(RGB(128, 0, 0)))
        let mono = Legend(entries: entries).grid(width: 24, config: CanvasConfig(colorMode: .none))
        XCTAssertEqual(mono[0, 0].glyph, "█")
    }
}
