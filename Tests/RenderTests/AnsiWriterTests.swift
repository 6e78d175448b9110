import Pixels
import XCTest
@testable import Render

final class AnsiWriterTests: XCTestCase {
    let red = RGB(255, 0, 0), blue = RGB(0, 0, 255)

    func testTruecolourSequencesOnlyOnChange() {
        var grid = CellGrid(width: 3, height: 1)
        grid[0, 0] = Cell(glyph: "▀", foreground: .rgb(red), background: .rgb(blue))
        grid[1, 0] = Cell(glyph: "▀", foreground: .rgb(red), background: .rgb(blue))
        grid[2, 0] = Cell(glyph: "▀", foreground: .rgb(blue), background: .rgb(blue))
        XCTAssertEqual(AnsiWriter().string(grid),
                       "\u{1B}[38;2;255;0;0;48;2;0;0;255m▀▀ \u{1B}[0m\n")
    }

    func testLowerHalfBlockSavesAColourChange() {
        var grid = CellGrid(width: 2, height: 1)
        grid[0, 0] = Cell(glyph: "▀", foreground: .rgb(red), background: .rgb(blue))
        grid[1, 0] = Cell(glyph: "▀", foreground: .rgb(blue), background: .rgb(red))
        let text = AnsiWriter().string(grid)
        XCTAssertEqual(text, "\u{1B}[38;2;255;0;0;48;2;0;0;255m▀▄\u{1B}[0m\n")
        XCTAssertEqual(AnsiPixels.decode(text), RGBImage(width: 2, height: 2, colors: [red, blue, blue, red]))
    }

    func testPaletteSequencesForEachMode() {
        var grid = CellGrid(width: 4, height: 2)
        grid[0, 0] = Cell(glyph: "▀", foreground: .indexed(196), background: .indexed(21))
        grid[1, 0] = Cell(glyph: "▀", foreground: .indexed(3), background: .indexed(12))
        grid[2, 0] = Cell(glyph: "█", foreground: .indexed(3), background: .indexed(0))
        grid[3, 0] = Cell(glyph: "▒")
        let text = AnsiWriter().string(grid)
        XCTAssertEqual(text, "\u{1B}[38;5;196;48;5;21m▀\u{1B}[33;104m▀█\u{1B}[39;49m▒\n    \n")
    }

    func testWriterOutputDecodesBackToTheCells() {
        var image = RGBImage(width: 5, height: 4)
        for y in 0..<4 { for x in 0..<5 { image[x, y] = RGB(UInt8(40 * x), UInt8(60 * y), UInt8(7 * x * y)) } }
        let grid = CellCanvas.cells(from: image, config: CanvasConfig())
        XCTAssertEqual(AnsiPixels.decode(AnsiWriter().string(grid)), image)
        // 256 colours: decoding gives the palette colours chosen.
        let g256 = CellCanvas.cells(from: image, config: CanvasConfig(colorMode: .xterm256))
        let decoded = AnsiPixels.decode(AnsiWriter().string(g256))
        guard case .indexed(let i) = g256[2, 1].foreground else { return XCTFail() }
        XCTAssertEqual(decoded[2, 2], TerminalPalette.color(i))
        XCTAssertGreaterThan(ImageQuality.psnr(decoded, image), 18)
    }

    func testDecoderReadsLowerHalfBlocksAndInverseVideo() {
        let text = "\u{1B}[?25l\u{1B}[38;2;1;2;3;48;2;4;5;6m▄\u{1B}[7m▀\u{1B}[0m\n"
        let image = AnsiPixels.decode(text)
        XCTAssertEqual(image.width, 2)
        XCTAssertEqual(image.height, 2)
        XCTAssertEqual(image[0, 0], RGB(4, 5, 6))
        XCTAssertEqual(image[0, 1], RGB(1, 2, 3))
        XCTAssertEqual(image[1, 0], RGB(4, 5, 6))
        XCTAssertEqual(image[1, 1], RGB(1, 2, 3))
    }
}
