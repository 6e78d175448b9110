import Pixels
import XCTest
@testable import Render

final class ImageDecodingTests: XCTestCase {
    private func assertPattern(_ name: String, grey: Bool = false, alpha: Bool = false,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let image = try ImageFile.read(path: Fixtures.path(name))
        XCTAssertEqual(image.width, 8, name, file: file, line: line)
        XCTAssertEqual(image.height, 6, name, file: file, line: line)
        for y in 0..<6 {
            for x in 0..<8 {
                var want = Fixtures.pattern(x: x, y: y)
                if grey { want = RGB(want.r, want.r, want.r) }
                if alpha && !Fixtures.opaque(x: x, y: y) { want = RGB(0, 0, 0) }
                XCTAssertEqual(image[x, y], want, "\(name) at (\(x), \(y))", file: file, line: line)
            }
        }
    }

    func testEveryPNGKindDecodesToThePattern() throws {
        try assertPattern("rgb8.png")
        try assertPattern("rgb16.png")
        try assertPattern("interlaced.png")
        try assertPattern("interlaced16.png")
        try assertPattern("grey8.png", grey: true)
        try assertPattern("grey16.png", grey: true)
        try assertPattern("rgba8.png", alpha: true)
        try assertPattern("rgba16.png", alpha: true)
        try assertPattern("greyalpha8.png", grey: true, alpha: true)
    }

    func testSixteenBitWithAGammaChunkIsColourManaged() throws {
        // The file declares gamma 0.45455: libpng takes each sample v to linear light
        // (v/65535)^(1/0.45455), which is encoded with the sRGB curve; darks come out darker
        // than in an sRGB file, as they should.
        func expected(_ code: UInt8) -> Int {
            let linear = pow(Double(code) / 255, 1 / 0.45455)
            let c = linear <= 0.0031308 ? linear * 12.92 : 1.055 * pow(linear, 1 / 2.4) - 0.055
            return Int((c * 255).rounded())
        }
        XCTAssertTrue(PNGCodec.hasColorSpaceChunk([UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("rgb16-gamma.png"))))))
        XCTAssertFalse(PNGCodec.hasColorSpaceChunk([UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("rgb16.png"))))))
        let image = try ImageFile.read(path: Fixtures.path("rgb16-gamma.png"))
        var differs = false
        for y in 0..<6 {
            for x in 0..<8 {
                let (a, b) = (image[x, y], Fixtures.pattern(x: x, y: y))
                for (p, q) in [(a.r, b.r), (a.g, b.g), (a.b, b.b)] {
                    XCTAssertLessThanOrEqual(abs(Int(p) - expected(q)), 1, "(\(x), \(y)): \(p) for \(q)")
                    if p != q { differs = true }
                }
            }
        }
        XCTAssertTrue(differs, "the gamma chunk was ignored")
    }

    func testImageColourViews() {
        let colors = [RGB(1, 2, 3), RGB(4, 5, 6)]
        let image = RGBImage(width: 2, height: 1, colors: colors)
        XCTAssertEqual(image.pixels, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(image.colors, colors)
    }

    func testPalettePNGsKeepTheirIndices() throws {
        let colors = [RGB(255, 0, 0), RGB(0, 255, 0), RGB(0, 0, 255), RGB(10, 20, 30), RGB(250, 240, 230)]
        for name in ["palette8.png", "palette4.png"] {
            let indexed = try ImageFile.readIndexed(path: Fixtures.path(name))
            XCTAssertEqual(Array(indexed.palette.prefix(5)), colors, name)
            let rgb = try ImageFile.read(path: Fixtures.path(name))
            for y in 0..<6 {
                for x in 0..<8 {
                    let want = (x + 2 * y) % 5
                    XCTAssertEqual(Int(indexed.indices[y * 8 + x]), want, "\(name) (\(x), \(y))")
                    XCTAssertEqual(rgb[x, y], colors[want], "\(name) (\(x), \(y))")
                }
            }
        }
        let bits = try ImageFile.read(path: Fixtures.path("grey1.png"))
        XCTAssertEqual(bits[0, 0], RGB(0, 0, 0))
        XCTAssertEqual(bits[1, 0], RGB(255, 255, 255))
    }

    func testVOCMaskReadsClassIndicesAndTheVOCPalette() throws {
        let mask = try ImageFile.readMask(path: Fixtures.path("voc_mask.png"))
        XCTAssertEqual(mask.width, 8)
        XCTAssertEqual(mask[0, 0], 0)
        XCTAssertEqual(mask[3, 0], 255)
        XCTAssertEqual(mask[5, 0], 15)
        XCTAssertEqual(mask[1, 4], 1)
        XCTAssertEqual(mask[6, 5], 15)
        let indexed = try ImageFile.readIndexed(path: Fixtures.path("voc_mask.png"))
        XCTAssertEqual(indexed.palette.count, 256)
        XCTAssertEqual(Array(indexed.palette.prefix(22)), ClassPalette.voc(count: 22))
    }

    /// The JPEG quadrants: red, green / blue, yellow.
    private let quadrants = [RGB(200, 30, 30), RGB(30, 200, 30), RGB(30, 30, 200), RGB(220, 220, 40)]

    private func quadrantMeans(_ image: RGBImage) -> [RGB] {
        let (hw, hh) = (image.width / 2, image.height / 2)
        return [(0, 0), (1, 0), (0, 1), (1, 1)].map { q -> RGB in
            var s = [0, 0, 0], n = 0
            // Stay clear of the quadrant borders, where JPEG rings.
            for y in (q.1 * hh + 2)..<(q.1 * hh + hh - 2) {
                for x in (q.0 * hw + 2)..<(q.0 * hw + hw - 2) {
                    let c = image[x, y]
                    s[0] += Int(c.r); s[1] += Int(c.g); s[2] += Int(c.b); n += 1
                }
            }
            return RGB(UInt8(s[0] / n), UInt8(s[1] / n), UInt8(s[2] / n))
        }
    }

    private func assertClose(_ a: [RGB], _ b: [RGB], tolerance: Int, _ name: String) {
        for (p, q) in zip(a, b) {
            XCTAssertLessThanOrEqual(abs(Int(p.r) - Int(q.r)), tolerance, "\(name): \(p) vs \(q)")
            XCTAssertLessThanOrEqual(abs(Int(p.g) - Int(q.g)), tolerance, "\(name): \(p) vs \(q)")
            XCTAssertLessThanOrEqual(abs(Int(p.b) - Int(q.b)), tolerance, "\(name): \(p) vs \(q)")
        }
    }

    func testJPEGKindsDecode() throws {
        for name in ["baseline.jpg", "progressive.jpg", "cmyk.jpg", "orient3.jpg", "orient6.jpg", "orient8.jpg"] {
            let image = try ImageFile.read(path: Fixtures.path(name))
            XCTAssertEqual(image.width, 32, name)
            XCTAssertEqual(image.height, 16, name)
            assertClose(quadrantMeans(image), quadrants, tolerance: 8, name)
        }
        let grey = try ImageFile.read(path: Fixtures.path("grey.jpg"))
        let greyMeans = quadrantMeans(grey)
        // Pillow's RGB -> L: (299 R + 587 G + 114 B) / 1000.
        let want = quadrants.map { c -> RGB in
            let weighted: Int = 299 * Int(c.r) + 587 * Int(c.g) + 114 * Int(c.b)
            let l = UInt8(weighted / 1000)
            return RGB(l, l, l)
        }
        assertClose(greyMeans, want, tolerance: 4, "grey.jpg")
    }

    func testLargeJPEGsAreDecodedReducedButNeverBelowWhatIsNeeded() throws {
        // 32x16 into at most 2x1 cells: the grid is 2x2 pixels, 4x oversampling needs 8x8,
        // so 1/2 (16x8) is the deepest reduction allowed.
        let config = CanvasConfig()
        for name in ["baseline.jpg", "orient6.jpg", "progressive.jpg"] {
            let fitted = try FittedImage.read(path: Fixtures.path(name), maxColumns: 2, maxRows: 1, config: config)
            XCTAssertEqual(fitted.image.width, 16, name)
            XCTAssertEqual(fitted.image.height, 8, name)
            XCTAssertTrue((fitted.columns, fitted.rows) == (2, 1), name)
            let grid = AnnotatedImage(image: fitted.image).grid(columns: 2, rows: 1, config: config)
            guard case .rgb(let topLeft) = grid[0, 0].foreground else { return XCTFail(name) }
            XCTAssertGreaterThan(topLeft.r, 150, name)   // the red quadrant
            XCTAssertLessThan(topLeft.g, 80, name)
        }
        // A box as large as the image: no reduction.
        let full = try FittedImage.read(path: Fixtures.path("baseline.jpg"), maxColumns: 32, maxRows: 8, config: config)
        XCTAssertEqual(full.image.width, 32)
        // PNGs are never reduced.
        let png = try FittedImage.read(path: Fixtures.path("rgb8.png"), maxColumns: 1, maxRows: 1, config: config)
        XCTAssertEqual(png.image.width, 8)
    }

    func testExifOrientationIsParsed() throws {
        for (name, value) in [("baseline.jpg", 1), ("orient3.jpg", 3), ("orient6.jpg", 6), ("orient8.jpg", 8)] {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))))
            XCTAssertEqual(ExifOrientation(jpeg: bytes).value, value, name)
        }
    }

    func testEveryOrientationTransformMatchesItsDefinition() {
        // A 3x2 image of distinct pixels, p(x, y) = (x, y, 0).
        var image = RGBImage(width: 3, height: 2)
        for y in 0..<2 { for x in 0..<3 { image[x, y] = RGB(UInt8(x), UInt8(y), 0) } }
        func at(_ o: Int, _ x: Int, _ y: Int) -> (Int, Int) {
            let c = ExifOrientation(value: o).upright(image)[x, y]
            return (Int(c.r), Int(c.g))
        }
        XCTAssertTrue(at(1, 0, 0) == (0, 0))
        XCTAssertTrue(at(2, 0, 0) == (2, 0))          // mirrored
        XCTAssertTrue(at(3, 0, 0) == (2, 1))          // rotated 180
        XCTAssertTrue(at(4, 0, 0) == (0, 1))          // flipped
        XCTAssertTrue(at(5, 1, 0) == (0, 1))          // transposed
        XCTAssertTrue(at(6, 0, 0) == (0, 1))          // rotate 90 clockwise: top-left from bottom-left
        XCTAssertTrue(at(6, 1, 0) == (0, 0))
        XCTAssertTrue(at(7, 0, 0) == (2, 1))          // transverse
        XCTAssertTrue(at(8, 0, 0) == (2, 0))          // rotate 90 anticlockwise: top-left from top-right
        XCTAssertEqual(ExifOrientation(value: 6).upright(image).width, 2)
    }

    func testBrokenFilesGiveOneLineErrorsNamingTheFile() {
        func isCorrupt(_ p: RenderError.Problem) -> Bool { if case .corrupt = p { return true } else { return false } }
        func isUnreadable(_ p: RenderError.Problem) -> Bool { if case .unreadable = p { return true } else { return false } }
        let huge = RenderError.Problem.tooLarge(width: 20000, height: 20000, limit: ImageFile.defaultMaxPixels)
        let cases: [(String, (RenderError.Problem) -> Bool)] = [
            ("truncated.png", { $0 == .truncated || isCorrupt($0) }),
            ("corrupt.png", isCorrupt),
            ("truncated.jpg", { $0 == .truncated }),
            ("header-only.jpg", { $0 == .truncated || isCorrupt($0) }),
            ("not-an-image.png", { $0 == .unsupportedFormat }),
            ("huge-header.png", { $0 == huge }),
            ("missing.png", isUnreadable),
        ]
        for (name, matches) in cases {
            let path = Fixtures.path(name)
            XCTAssertThrowsError(try ImageFile.read(path: path), name) { error in
                guard let error = error as? RenderError else { return XCTFail("\(name): \(error)") }
                XCTAssertTrue(matches(error.problem), "\(name): \(error)")
                XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description)
                XCTAssertFalse(error.description.contains("\n"), error.description)
            }
        }
    }

    func testPixelLimitIsCheckedBeforeDecoding() {
        XCTAssertThrowsError(try ImageFile.read(path: Fixtures.path("rgb8.png"), maxPixels: 47)) { error in
            XCTAssertEqual((error as? RenderError)?.problem, .tooLarge(width: 8, height: 6, limit: 47))
        }
        XCTAssertThrowsError(try ImageFile.read(path: Fixtures.path("baseline.jpg"), maxPixels: 100)) { error in
            XCTAssertEqual((error as? RenderError)?.problem, .tooLarge(width: 32, height: 16, limit: 100))
        }
    }

    func testPNGRoundTrips() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let original = try ImageFile.read(path: Fixtures.path("rgb16.png"))
        try PNGCodec.write(original, to: dir + "/rgb.png")
        XCTAssertEqual(try ImageFile.read(path: dir + "/rgb.png"), original)

        let mask = try ImageFile.readIndexed(path: Fixtures.path("voc_mask.png"))
        try PNGCodec.write(mask, to: dir + "/mask.png")
        let again = try ImageFile.readIndexed(path: dir + "/mask.png")
        XCTAssertEqual(again.indices, mask.indices)
        XCTAssertEqual(again.palette, mask.palette)

        // Indices past a short palette still survive.
        let short = IndexedImage(width: 2, height: 1, indices: [1, 200], palette: [RGB(1, 2, 3), RGB(4, 5, 6)])
        try PNGCodec.write(short, to: dir + "/short.png")
        XCTAssertEqual(try ImageFile.readIndexed(path: dir + "/short.png").indices, [1, 200])
        // Nothing but the written files is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["mask.png", "rgb.png", "short.png"])
    }

    func testWritingIntoAMissingDirectoryFails() {
        XCTAssertThrowsError(try PNGCodec.write(RGBImage(width: 1, height: 1), to: "/nonexistent-dir/x.png")) { error in
            guard case .unwritable = (error as? RenderError)?.problem else { return XCTFail("\(error)") }
        }
    }
}
