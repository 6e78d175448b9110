import Pixels
import XCTest
@testable import Render

final class CellCanvasTests: XCTestCase {
    func testFitKeepsTheAspectRatio() {
        // A square image in 2:1 cells: twice as many columns as rows.
        XCTAssertTrue(CellCanvas.fit(width: 512, height: 512, maxColumns: 160, maxRows: 50) == (100, 50))
        XCTAssertTrue(CellCanvas.fit(width: 512, height: 512, maxColumns: 80, maxRows: 50) == (80, 40))
        XCTAssertTrue(CellCanvas.fit(width: 1000, height: 100, maxColumns: 80, maxRows: 24) == (80, 4))
        XCTAssertTrue(CellCanvas.fit(width: 512, height: 512, maxColumns: 60, maxRows: 50, cellAspect: 1) == (50, 50))
        XCTAssertTrue(CellCanvas.fit(width: 1, height: 10_000, maxColumns: 80, maxRows: 24) == (1, 24))
    }

    func testAreaAverageIsInLinearLight() {
        // Black and white columns averaged to one pixel: linear mean 0.5 -> sRGB 188.
        var image = RGBImage(width: 2, height: 1)
        image[1, 0] = RGB(255, 255, 255)
        XCTAssertEqual(AreaResampler.resample(image, width: 1, height: 1)[0, 0], RGB(188, 188, 188))
    }

    func testFractionalCoverageWeights() {
        // 3 pixels -> 2: output 0 = p0 + p1/2 over 1.5, output 1 = p1/2 + p2 over 1.5.
        let image = RGBImage(width: 3, height: 1, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255])
        let out = AreaResampler.resample(image, width: 2, height: 1)
        // Linear 2/3 -> sRGB 213, linear 1/3 -> sRGB 156.
        XCTAssertEqual(out[0, 0], RGB(213, 156, 0))
        XCTAssertEqual(out[1, 0], RGB(0, 156, 213))
        // Flat images stay flat whatever the scale.
        let flat = RGBImage(width: 7, height: 5, fill: RGB(123, 45, 67))
        XCTAssertEqual(AreaResampler.resample(flat, width: 3, height: 11), RGBImage(width: 3, height: 11, fill: RGB(123, 45, 67)))
    }

    func testHalfBlocksCarryUpperAndLowerPixels() {
        let pixels = RGBImage(width: 2, height: 2, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])
        let grid = CellCanvas.cells(from: pixels, config: CanvasConfig())
        XCTAssertEqual(grid.width, 2)
        XCTAssertEqual(grid.height, 1)
        XCTAssertEqual(grid[0, 0], Cell(glyph: "▀", foreground: .rgb(RGB(255, 0, 0)), background: .rgb(RGB(0, 0, 255))))
        XCTAssertEqual(grid[1, 0], Cell(glyph: "▀", foreground: .rgb(RGB(0, 255, 0)), background: .rgb(RGB(9, 9, 9))))
    }

    func testEachColorModeReducesColours() {
        let pixels = RGBImage(width: 1, height: 2, pixels: [250, 10, 10, 128, 128, 128])
        func cell(_ mode: ColorMode) -> Cell {
            CellCanvas.cells(from: pixels, config: CanvasConfig(colorMode: mode, colorDistance: .oklab))[0, 0]
        }
        XCTAssertEqual(cell(.xterm256), Cell(glyph: "▀", foreground: .indexed(196), background: .indexed(244)))
        XCTAssertEqual(cell(.ansi16), Cell(glyph: "▀", foreground: .indexed(9), background: .indexed(8)))
        XCTAssertEqual(cell(.ansi8).glyph, "▀")
        if case .indexed(let f) = cell(.ansi8).foreground { XCTAssertLessThan(f, 8) } else { XCTFail() }
        if case .indexed(let b) = cell(.ansi8).background { XCTAssertLessThan(b, 8) } else { XCTFail() }
        // Mid grey -> the middle shade.
        XCTAssertEqual(cell(.none), Cell(glyph: "▒"))
        let black = RGBImage(width: 1, height: 2)
        XCTAssertEqual(CellCanvas.cells(from: black, config: CanvasConfig(colorMode: .none))[0, 0], Cell(glyph: " "))
        let white = RGBImage(width: 1, height: 2, fill: RGB(255, 255, 255))
        XCTAssertEqual(CellCanvas.cells(from: white, config: CanvasConfig(colorMode: .none))[0, 0], Cell(glyph: "█"))
    }

    func testBackgroundModeUsesOnePixelPerCell() {
        let image = RGBImage(width: 40, height: 40, fill: RGB(0, 0, 255))
        let config = CanvasConfig(colorMode: .truecolor, cellMode: .background)
        let grid = CellCanvas.render(image, maxColumns: 20, maxRows: 20, config: config)
        XCTAssertEqual(grid.width, 20)
        XCTAssertEqual(grid.height, 10)
        XCTAssertEqual(grid[3, 3], Cell(glyph: " ", background: .rgb(RGB(0, 0, 255))))
    }

    func testNearest256MatchesAnExhaustiveOKLabSearch() {
        let quantizer = PaletteQuantizer(mode: .xterm256)
        let palette = (16..<256).map { OKLab(TerminalPalette.color(UInt8($0))) }
        // A fixed xorshift sequence, so the test sees the same colours every run.
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> UInt8 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        var worse = 0
        var worstRatio: Float = 1
        for _ in 0..<5000 {
            let c = RGB(next(), next(), next())
            let lab = OKLab(c)
            let best = palette.map { lab.distance2($0) }.min()!
            let got = lab.distance2(OKLab(TerminalPalette.color(quantizer.index(c))))
            XCTAssertTrue(got.isFinite && best.isFinite, "distances of \(c) are not finite")
            if got > best * 1.0001 + 1e-9 {
                worse += 1
                let ratio = (got / best).squareRoot()
                XCTAssertTrue(ratio.isFinite, "distance ratio of \(c) is not finite")
                worstRatio = max(worstRatio, ratio)
            }
        }
        // The bracketing search finds the true nearest for nearly every colour, and misses
        // only between near-equidistant entries.
        XCTAssertLessThanOrEqual(worse, 5, "\(worse) of 5000 colours got a farther palette entry")
        XCTAssertLessThan(worstRatio, 1.25, "a miss was \(worstRatio) times the nearest distance")
    }

    func testFastCubeRootIsAccurate() {
        for x: Float in [1e-7, 0.0031, 0.2, 0.5, 0.999, 1, 1.3] {
            XCTAssertEqual(OKLab.cubeRoot(x), cbrtf(x), accuracy: cbrtf(x) * 2e-7, "\(x)")
        }
        XCTAssertEqual(OKLab.cubeRoot(0), 0)
    }

    func testDitheringMixesTwoPaletteColoursForAnInBetweenGrey() {
        // A grey between two 16-colour greys: dithering must use more than one index.
        let flat = RGBImage(width: 16, height: 16, fill: RGB(180, 180, 180))
        let plain = Set(CellCanvas.cells(from: flat, config: CanvasConfig(colorMode: .ansi16)).cells.map(\.foreground))
        let dithered = Set(CellCanvas.cells(from: flat, config: CanvasConfig(colorMode: .ansi16, dither: true)).cells.map(\.foreground))
        XCTAssertEqual(plain.count, 1)
        XCTAssertGreaterThan(dithered.count, 1)
    }
}
