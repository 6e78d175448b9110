import Pixels
import Foundation
import XCTest
import Render
import GraphicsTestSupport
import TestSupport

/// `reclip render --graphics`: the built binary's bytes decoded back and compared with the
/// composition made here through Render (the same `FittedImage` + `AnnotatedImage.pixels` at
/// the cells' size in pixels), and every numeric option refused outside its range.
final class RenderGraphicsCommandTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let photo = root.appendingPathComponent("samples/photos/astronaut.png").path
    static let world = root.appendingPathComponent("samples/world/JPEGImages/world_000000.png").path
    static let worldMask = root.appendingPathComponent("samples/world/SegmentationClass/world_000000.png").path

    /// Runs `reclip` with its output to files (not a terminal), in a 256-colour UTF-8 locale.
    func reclip(_ arguments: [String]) throws -> ChildProcessResult {
        try ReclipBinary.run(arguments, environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8", "HOME": "/tmp"])
    }

    /// What the command should show: the image fitted into `columns` cells of `cell` pixels,
    /// composed at that many pixels.
    func expected(_ path: String, mask: String? = nil, boundaries: Bool = false, columns: Int,
                  cell: CellPixelSize) throws -> (pixels: RGBImage, columns: Int, rows: Int) {
        var config = CanvasConfig(colorMode: .xterm256)
        config.cellAspect = Double(cell.height) / Double(cell.width)
        let fitted = try FittedImage.read(path: path, maxColumns: columns, maxRows: 100_000, config: config,
                                          oversampling: max(4, cell.width, (cell.height + 1) / 2))
        let labels = try mask.map { try ImageFile.readMask(path: $0) }
        let overlay = MaskOverlay(palette: ClassPalette.voc(), opacity: 0.5, boundaryColor: boundaries ? RGB(255, 255, 255) : nil)
        let pixels = AnnotatedImage(image: fitted.image, mask: labels, overlay: overlay)
            .pixels(width: fitted.columns * cell.width, height: fitted.rows * cell.height)
        return (pixels, fitted.columns, fitted.rows)
    }

    /// The bytes without the final new line.
    func picture(_ out: [UInt8]) throws -> [UInt8] {
        XCTAssertEqual(out.last, 0x0A, "the cursor is left on a new line")
        return Array(out.dropLast())
    }

    func testSixelIs800PixelsAcrossFor80ColumnsWhenNothingAnswers() throws {
        let run = try reclip(["render", Self.photo, "--graphics", "sixel", "--width", "80"])
        XCTAssertEqual(run.status, 0, run.err)
        let want = try expected(Self.photo, columns: 80, cell: CellPixelSize(width: 10, height: 20))
        let decoded = try SixelDecoder.decode(try picture(run.stdout))
        XCTAssertEqual(decoded.image.width, 800, "--width 80 with the assumed 10x20 cells")
        XCTAssertEqual(decoded.unset, 0)
        XCTAssertEqual(decoded.image, try SixelEncoder().quantize(want.pixels).expanded())
        XCTAssertGreaterThan(psnr(decoded.image, want.pixels), 30, "256 colours keep a photograph above 30 dB")
    }

    func testKittyAndITermCarryTheExactPixelsAndTheCells() throws {
        let cell = CellPixelSize(width: 8, height: 16)
        let want = try expected(Self.world, mask: Self.worldMask, boundaries: true, columns: 40, cell: cell)
        let kittyRun = try reclip(["render", Self.world, "--mask", Self.worldMask, "--boundaries", "--graphics", "kitty",
                                   "--width", "40", "--cell-size", "8x16"])
        XCTAssertEqual(kittyRun.status, 0, kittyRun.err)
        let kitty = try KittyDecoder.decode(try picture(kittyRun.stdout))
        XCTAssertEqual(kitty.image, want.pixels, "kitty: the composition exactly, mask and boundaries included")
        XCTAssertEqual(kitty.keys["c"], "\(want.columns)")
        XCTAssertEqual(kitty.keys["r"], "\(want.rows)")
        XCTAssertEqual(kitty.keys["a"], "T")
        XCTAssertNil(kitty.keys["C"], "a printed picture moves the cursor past itself")

        let itermRun = try reclip(["render", Self.world, "--mask", Self.worldMask, "--boundaries", "--graphics", "iterm",
                                   "--width", "40", "--cell-size", "8x16"])
        XCTAssertEqual(itermRun.status, 0, itermRun.err)
        let iterm = try ITermDecoder.decode(try picture(itermRun.stdout))
        XCTAssertEqual(iterm.image, want.pixels)
        XCTAssertEqual(iterm.arguments["width"], "\(want.columns)")
        XCTAssertEqual(iterm.arguments["height"], "\(want.rows)")
    }

    func testAutoIsCellsWhenStdoutIsNotATerminal() throws {
        let auto = try reclip(["render", Self.photo, "--width", "30"])
        let cells = try reclip(["render", Self.photo, "--width", "30", "--graphics", "cells"])
        XCTAssertEqual(auto.status, 0, auto.err)
        XCTAssertEqual(auto.stdout, cells.stdout)
        XCTAssertTrue(auto.out.contains("\u{1B}[38;5;"), "256-colour half blocks")
        XCTAssertFalse(auto.out.contains("\u{1B}P"), "no sixel")
    }

    func testEveryNumericOptionIsRangeChecked() throws {
        let cases: [([String], String)] = [
            (["--width", "0"], "--width 0: use 1...1000 cells"),
            (["--width", "1001"], "--width 1001: use 1...1000 cells"),
            (["--height=-3"], "--height -3: use 1...1000 cells"),
            (["--opacity", "1.5"], "--opacity 1.5: use a finite number in 0.0...1.0"),
            (["--opacity", "nan"], "--opacity nan: use a finite number in 0.0...1.0"),
            (["--cell-aspect", "0"], "--cell-aspect 0.0: use a finite number in 0.25...8.0"),
            (["--cell-size", "0x20"], "--cell-size 0x20: use WIDTHxHEIGHT with each side in 1...256 pixels"),
            (["--cell-size", "10x300"], "--cell-size 10x300: use WIDTHxHEIGHT with each side in 1...256 pixels"),
            (["--cell-size", "10"], "--cell-size"),
            (["--graphics", "png"], "'auto', 'kitty', 'sixel', 'iterm' or 'cells'"),
        ]
        for (options, message) in cases {
            let run = try reclip(["render", Self.photo] + options)
            XCTAssertNotEqual(run.status, 0, "\(options) was accepted")
            XCTAssertTrue(run.err.contains(message), "\(options): \(run.err)")
            XCTAssertEqual(run.stdout, [], "\(options): nothing printed")
        }
        let explore = try reclip(["explore", "--cell-size", "0x0", "--no-model"])
        XCTAssertNotEqual(explore.status, 0)
        XCTAssertTrue(explore.err.contains("--cell-size 0x0: use WIDTHxHEIGHT with each side in 1...256 pixels"), explore.err)
    }
}

/// Peak signal-to-noise ratio of `a` against `b` over the three channels, in dB.
func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
    precondition(a.width == b.width && a.height == b.height)
    var sum = 0.0
    for (x, y) in zip(a.pixels, b.pixels) { sum += Double((Int(x) - Int(y)) * (Int(x) - Int(y))) }
    let mse = sum / Double(a.pixels.count)
    return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
}
