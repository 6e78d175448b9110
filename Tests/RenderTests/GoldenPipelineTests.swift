import Pixels
import XCTest
@testable import Render

/// The cell pipeline against references computed independently (numpy, float64) by
/// scripts/fixtures/make_render_fixtures.py.
final class GoldenPipelineTests: XCTestCase {
    struct Golden: Decodable {
        let width: Int
        let height: Int
        let pixels: [Int]
        let xterm256: [Int]
        let xterm256_rgb: [Int]
        let ansi16: [Int]
        let ansi8: [Int]
    }

    private func load() throws -> [Golden] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("resample_golden.json")))
        return try JSONDecoder().decode([Golden].self, from: data)
    }

    func testAreaAveragingMatchesTheFloat64Reference() throws {
        let pattern = try ImageFile.read(path: Fixtures.path("rgb8.png"))
        for golden in try load() {
            let ours = AreaResampler.resample(pattern, width: golden.width, height: golden.height)
            var off = 0
            for (a, b) in zip(ours.pixels, golden.pixels) {
                XCTAssertLessThanOrEqual(abs(Int(a) - b), 1, "\(golden.width)x\(golden.height)")
                if Int(a) != b { off += 1 }
            }
            // Float32 accumulation may round a rare sample the other way, never more.
            XCTAssertLessThanOrEqual(off, max(1, golden.pixels.count / 50), "\(golden.width)x\(golden.height)")
        }
    }

    func testPaletteModesMatchTheExhaustiveOKLabReference() throws {
        for golden in try load() {
            let n = golden.width * golden.height
            let colors = (0..<n).map { RGB(UInt8(golden.pixels[3 * $0]), UInt8(golden.pixels[3 * $0 + 1]), UInt8(golden.pixels[3 * $0 + 2])) }
            for (mode, expected) in [(ColorMode.xterm256, golden.xterm256), (.ansi16, golden.ansi16), (.ansi8, golden.ansi8)] {
                let quantizer = PaletteQuantizer(mode: mode)
                let got = colors.map { Int(quantizer.index($0)) }
                XCTAssertEqual(got, expected, "\(mode) at \(golden.width)x\(golden.height)")
            }
            let rgb = PaletteQuantizer(mode: .xterm256, distance: .rgb)
            XCTAssertEqual(colors.map { Int(rgb.index($0)) }, golden.xterm256_rgb, "rgb distance at \(golden.width)x\(golden.height)")
        }
    }

    func testEachColourModeEndToEnd() throws {
        // The whole path, file to ANSI text to pixels, for the 8x2 golden (8 columns, 1 row).
        let pattern = try ImageFile.read(path: Fixtures.path("rgb8.png"))
        let golden = try XCTUnwrap(try load().first { $0.width == 8 && $0.height == 2 })
        let modes: [(ColorMode, [Int]?)] = [(.truecolor, nil), (.xterm256, golden.xterm256_rgb), (.ansi16, golden.ansi16), (.ansi8, golden.ansi8)]
        for (mode, indices) in modes {
            let grid = AnnotatedImage(image: pattern).grid(columns: 8, rows: 1, config: CanvasConfig(colorMode: mode))
            let shown = AnsiPixels.decode(AnsiWriter().string(grid))
            XCTAssertEqual(shown.width, 8)
            XCTAssertEqual(shown.height, 2)
            for i in 0..<16 {
                let want: RGB
                if let indices {
                    want = TerminalPalette.color(UInt8(indices[i]))
                } else {
                    want = RGB(UInt8(golden.pixels[3 * i]), UInt8(golden.pixels[3 * i + 1]), UInt8(golden.pixels[3 * i + 2]))
                }
                XCTAssertEqual(shown[i % 8, i / 8], want, "\(mode) pixel \(i)")
            }
        }
    }
}
