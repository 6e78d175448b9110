import Pixels
import Foundation
import XCTest
import TestSupport
import GraphicsTestSupport
@testable import Render

final class SixelEncoderTests: XCTestCase {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    func testTwoPixelImageExactBytes() throws {
        // Palette in packed-colour order: blue (0) before red (1).
        let image = RGBImage(width: 2, height: 1, colors: [RGB(255, 0, 0), RGB(0, 0, 255)])
        let bytes = try SixelEncoder().encode(image)
        XCTAssertEqual(text(bytes), "\u{1B}P0;1;0q\"1;1;2;1#0;2;0;0;100#1;2;100;0;0#0?@$#1@\u{1B}\\")
    }

    func testRunsBandsAndCarriageReturns() throws {
        // 10x7 white with a black pixel at (2, 6): band 0 is one run of full sixels, band 1
        // has white on row 6 except column 2.
        var image = RGBImage(width: 10, height: 7, fill: RGB(255, 255, 255))
        image[2, 6] = RGB(0, 0, 0)
        let bytes = try SixelEncoder().encode(image)
        XCTAssertEqual(text(bytes),
                       "\u{1B}P0;1;0q\"1;1;10;7#0;2;0;0;0#1;2;100;100;100#1!10~-#0??@$#1@@?!7@\u{1B}\\")
        let decoded = try SixelDecoder.decode(bytes)
        XCTAssertEqual(decoded.image, image)
        XCTAssertEqual(decoded.unset, 0)
    }

    func testRunsLongerThanTheRepeatLimitAreSplit() throws {
        let image = RGBImage(width: 40_000, height: 1, fill: RGB(255, 0, 0))
        let bytes = try SixelEncoder(maxSide: 40_000).encode(image)
        XCTAssertTrue(text(bytes).hasSuffix("#0!32767@!7233@\u{1B}\\"), text(bytes.suffix(40)))
        XCTAssertEqual(try SixelDecoder.decode(bytes).image, image)
    }

    func testPercentGrid() {
        for p in 0...100 { XCTAssertEqual(SixelEncoder.percent(SixelEncoder.byte(percent: p)), p, "percent \(p)") }
        for v in 0...255 {
            let c = RGB(UInt8(v), UInt8(255 - v), UInt8(v / 2))
            let once = SixelEncoder.representable(c)
            XCTAssertEqual(SixelEncoder.representable(once), once)
            XCTAssertLessThanOrEqual(abs(Int(once.r) - v), 2, "channel \(v) moved by more than half a percent step")
        }
        XCTAssertEqual(SixelEncoder.byte(percent: 50), 128)
        XCTAssertEqual(SixelEncoder.percent(128), 50)
    }

    /// Few colours: the sixel shows each pixel's representable colour, exactly.
    func testRoundTripIsLosslessWithFewColours() throws {
        var rng = SeededGenerator(seed: 15)
        for trial in 0..<60 {
            let w = Int.random(in: 1...13, using: &rng), h = Int.random(in: 1...20, using: &rng)
            let colors = Int.random(in: 1...40, using: &rng)
            let image = RGBImage.random(width: w, height: h, colors: colors, using: &rng)
            let encoder = SixelEncoder()
            let decoded = try SixelDecoder.decode(try encoder.encode(image))
            let expected = RGBImage(width: w, height: h, colors: image.colors.map(SixelEncoder.representable))
            XCTAssertEqual(decoded.image, expected, "trial \(trial): \(w)x\(h), \(colors) colours")
            XCTAssertEqual(decoded.unset, 0, "trial \(trial)")
            XCTAssertEqual(try encoder.quantize(image).expanded(), expected, "trial \(trial)")
        }
    }

    /// Many colours, with and without dithering: the bytes show exactly the quantised image.
    func testRoundTripEqualsTheQuantisedImage() throws {
        var rng = SeededGenerator(seed: 1337)
        for trial in 0..<40 {
            let w = Int.random(in: 1...30, using: &rng), h = Int.random(in: 1...25, using: &rng)
            let image = RGBImage.random(width: w, height: h, colors: nil, using: &rng)
            let maxColors = [2, 7, 16, 64, 256][trial % 5]
            let encoder = SixelEncoder(maxColors: maxColors, dither: trial % 2 == 0)
            let quantised = try encoder.quantize(image)
            XCTAssertLessThanOrEqual(quantised.palette.count, maxColors)
            XCTAssertEqual(Set(quantised.palette).count, quantised.palette.count, "duplicate palette entries")
            XCTAssertTrue(quantised.palette.allSatisfy { SixelEncoder.representable($0) == $0 })
            let decoded = try SixelDecoder.decode(try encoder.encode(quantised))
            XCTAssertEqual(decoded.image, quantised.expanded(), "trial \(trial): \(w)x\(h) in \(maxColors) colours")
            XCTAssertEqual(decoded.unset, 0)
            XCTAssertEqual(try SixelDecoder.decode(try encoder.encode(image)).image, quantised.expanded())
        }
    }

    func testOnlyUsedRegistersAreDefined() throws {
        let image = IndexedImage(width: 3, height: 1, indices: [0, 2, 2],
                                 palette: [RGB(0, 0, 0), RGB(10, 10, 10), RGB(255, 255, 255)])
        let decoded = try SixelDecoder.decode(try SixelEncoder().encode(image))
        XCTAssertEqual(Set(decoded.registers.keys), [0, 2])
        XCTAssertEqual(decoded.image, image.expanded())
    }

    func testInvalidInputsThrowNamingTheLimit() {
        XCTAssertThrowsError(try SixelEncoder().encode(RGBImage(width: 0, height: 5))) { error in
            XCTAssertEqual("\(error)", "sixel: a sixel image needs at least 1x1 pixels, not 0x5")
        }
        XCTAssertThrowsError(try SixelEncoder(maxPixels: 100).encode(RGBImage(width: 11, height: 10))) { error in
            XCTAssertEqual((error as? RenderError)?.problem, .tooLarge(width: 11, height: 10, limit: 100))
        }
        XCTAssertNoThrow(try SixelEncoder(maxPixels: 100).encode(RGBImage(width: 10, height: 10)))
        XCTAssertThrowsError(try SixelEncoder().encode(RGBImage(width: 10_001, height: 1))) { error in
            XCTAssertEqual("\(error)", "sixel: image is 10001x1 pixels, over the sixel limit of 10000 pixels a side")
        }
        for bad in [0, 257] {
            XCTAssertThrowsError(try SixelEncoder(maxColors: bad).encode(RGBImage(width: 1, height: 1))) { error in
                XCTAssertEqual("\(error)", "sixel: a sixel palette holds 1 to 256 colours, not \(bad)")
            }
        }
        let pastPalette = IndexedImage(width: 2, height: 1, indices: [0, 3], palette: [RGB(0, 0, 0), RGB(1, 1, 1)])
        XCTAssertThrowsError(try SixelEncoder().encode(pastPalette)) { error in
            XCTAssertEqual("\(error)", "sixel: index 3 is past the 2-colour palette")
        }
        XCTAssertEqual(SixelEncoder.defaultMaxPixels, 16_777_216)
    }
}

final class MedianCutQuantizerTests: XCTestCase {
    func testFewColoursAreKeptExactly() {
        var rng = SeededGenerator(seed: 3)
        let image = RGBImage.random(width: 9, height: 7, colors: 12, using: &rng)
        let q = MedianCutQuantizer(maxColors: 16).quantize(image)
        XCTAssertEqual(q.expanded(), image)
        XCTAssertEqual(q.palette.count, Set(image.colors).count)
    }

    func testTwoClustersGiveTheirMeans() {
        // Left half dark greys 10/20, right half light greys 240/250: two boxes, means 15 and 245.
        var image = RGBImage(width: 4, height: 2)
        for y in 0..<2 {
            image[0, y] = RGB(10, 10, 10); image[1, y] = RGB(20, 20, 20)
            image[2, y] = RGB(240, 240, 240); image[3, y] = RGB(250, 250, 250)
        }
        let q = MedianCutQuantizer(maxColors: 2).quantize(image)
        XCTAssertEqual(Set(q.palette), [RGB(15, 15, 15), RGB(245, 245, 245)])
        XCTAssertEqual(q.expanded()[0, 0], RGB(15, 15, 15))
        XCTAssertEqual(q.expanded()[3, 1], RGB(245, 245, 245))
    }

    func testPaletteSizeAndDeterminism() {
        var rng = SeededGenerator(seed: 99)
        let image = RGBImage.random(width: 32, height: 32, colors: nil, using: &rng)
        for n in [1, 2, 5, 64, 256] {
            let q = MedianCutQuantizer(maxColors: n)
            let palette = q.palette(for: image)
            XCTAssertEqual(palette.count, n, "a 1024-colour image fills a \(n)-colour palette")
            XCTAssertEqual(q.palette(for: image), palette)
        }
    }

    /// The pruned search returns what an exhaustive one does, lowest index on ties.
    func testNearestSearchMatchesExhaustiveSearch() {
        var rng = SeededGenerator(seed: 2024)
        for trial in 0..<200 {
            let count = trial % 10 == 0 ? 256 : Int.random(in: 1...40, using: &rng)
            // Small channel ranges force ties and duplicate entries.
            let palette = (0..<count).map { _ in RGB(UInt8.random(in: 0...8, using: &rng) * 30, UInt8.random(in: 0...3, using: &rng) * 80, UInt8.random(in: 0...255, using: &rng)) }
            var search = NearestColor(palette)
            for _ in 0..<50 {
                let (r, g, b) = (Int.random(in: 0...255, using: &rng), Int.random(in: 0...255, using: &rng), Int.random(in: 0...255, using: &rng))
                var best = 0, bestD = Int.max
                for (i, c) in palette.enumerated() {
                    let d = (Int(c.r) - r) * (Int(c.r) - r) + (Int(c.g) - g) * (Int(c.g) - g) + (Int(c.b) - b) * (Int(c.b) - b)
                    if d < bestD { bestD = d; best = i }
                }
                XCTAssertEqual(search.nearest(r, g, b), best, "(\(r), \(g), \(b)) in \(palette)")
            }
        }
    }

    func testDitherMixesTwoColoursOverAFlatMidtone() {
        let image = RGBImage(width: 8, height: 8, fill: RGB(128, 128, 128))
        let palette = [RGB(96, 96, 96), RGB(160, 160, 160)]
        let plain = MedianCutQuantizer(maxColors: 2).map(image, to: palette)
        XCTAssertEqual(Set(plain.indices), [0], "without dither a tie goes to the first entry")
        let dithered = MedianCutQuantizer(maxColors: 2, dither: true, ditherSpread: 64).map(image, to: palette)
        XCTAssertEqual(dithered.indices.filter { $0 == 1 }.count, 32, "half the Bayer cells push above the midpoint")
    }
}

final class MedianCutQualityTests: XCTestCase {
    private func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        var se = 0.0
        for i in a.pixels.indices { let d = Double(a.pixels[i]) - Double(b.pixels[i]); se += d * d }
        return 10 * log10(255 * 255 / (se / Double(a.pixels.count)))
    }

    /// On a smooth 4096-colour image an adaptive 256-colour palette beats xterm's fixed one.
    func testAdaptivePaletteBeatsTheFixed256Palette() throws {
        var image = RGBImage(width: 64, height: 64)
        for y in 0..<64 { for x in 0..<64 { image[x, y] = RGB(UInt8(60 + x), UInt8(100 + y), UInt8(40 + (x + y) / 2)) } }
        let adaptive = try SixelEncoder().quantize(image).expanded()
        let fixed = PaletteQuantizer(mode: .xterm256, distance: .rgb)
        let cube = RGBImage(width: 64, height: 64, colors: image.colors.map { c in
            guard case .indexed(let i) = fixed.color(c, x: 0, y: 0) else { return c }
            return TerminalPalette.color(i)
        })
        let (a, f) = (psnr(image, adaptive), psnr(image, cube))
        print("PSNR adaptive \(a) fixed \(f)")
        XCTAssertGreaterThan(a, f + 6, "adaptive \(a) dB vs fixed \(f) dB")
        XCTAssertGreaterThan(a, 40)
    }
}
