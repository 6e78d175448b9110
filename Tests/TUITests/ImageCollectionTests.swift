import Pixels
import Foundation
import Render
import XCTest
import TestSupport
@testable import TUI
@testable import Datasets
import CLIP
import ReCLIP

/// Finding images, ground truth and class names on disk; saving a view.
final class ImageCollectionTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/tui").standardizedFileURL

    var temp: URL!

    override func setUpWithError() throws { temp = try scratchFolder("reclip-tui") }

    func testVOCFolderGivesImagesMasksAndClasses() throws {
        let c = try ImageCollection(paths: [Self.fixtures.appendingPathComponent("voc").path])
        XCTAssertEqual(c.entries.map(\.name), ["scene-1.png", "scene-2.png", "scene-3.png"])
        XCTAssertEqual(c.entries.compactMap(\.groundTruth).map(\.lastPathComponent), ["scene-1.png", "scene-2.png", "scene-3.png"])
        XCTAssertEqual(c.classes, ["background", "sky", "grass", "cat", "ball"])
    }

    func testDatasetInsideAFolderKeepsItsMasks() throws {
        let photos = temp.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        try Data([0x89]).write(to: photos.appendingPathComponent("a.png"))
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("voc"), to: temp.appendingPathComponent("world"))
        let c = try ImageCollection(paths: [temp.path])
        XCTAssertEqual(c.entries.map(\.name), ["a.png", "scene-1.png", "scene-2.png", "scene-3.png"])
        XCTAssertNil(c.entries[0].groundTruth)
        XCTAssertNotNil(c.entries[1].groundTruth)
        XCTAssertFalse(c.entries.contains { $0.url.path.contains("SegmentationClass") }, "masks are not listed as photos")
        XCTAssertEqual(c.classes?.count, 5)
    }

    func testBadPathsAreClearErrors() {
        XCTAssertThrowsError(try ImageCollection(paths: [temp.appendingPathComponent("missing.png").path])) {
            XCTAssertTrue("\($0)".contains("no such file or folder"), "\($0)")
        }
        let text = temp.appendingPathComponent("notes.txt")
        FileManager.default.createFile(atPath: text.path, contents: Data("x".utf8))
        XCTAssertThrowsError(try ImageCollection(paths: [text.path])) {
            XCTAssertTrue("\($0)".contains("not a PNG or JPEG"), "\($0)")
        }
        XCTAssertThrowsError(try ImageCollection(paths: [temp.path])) {
            XCTAssertTrue("\($0)".contains("no PNG or JPEG images found"), "\($0)")
        }
    }

    func testSamplesFolderIsFoundAboveTheExecutable() throws {
        let bin = temp.appendingPathComponent(".build/debug")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: temp.appendingPathComponent("samples"), withIntermediateDirectories: true)
        let found = ImageCollection.samplesFolder(executable: bin.appendingPathComponent("reclip").path, currentDirectory: "/nonexistent")
        XCTAssertEqual(found?.standardizedFileURL.path, temp.appendingPathComponent("samples").standardizedFileURL.path)
        XCTAssertNil(ImageCollection.samplesFolder(executable: "/nonexistent/bin/reclip", currentDirectory: "/nonexistent"))
    }

    func testGroundTruthMaskIsReadAsClassIndices() throws {
        let mask = try ImageFile.readMask(path: Self.fixtures.appendingPathComponent("voc/SegmentationClass/scene-1.png").path)
        XCTAssertEqual(mask.width, 96)
        XCTAssertEqual(mask.height, 64)
        XCTAssertEqual(mask.labels[0], 1, "sky at the top-left")
        XCTAssertEqual(mask.labels[63 * 96], 2, "grass at the bottom-left")
        XCTAssertEqual(mask.labels[42 * 96 + 40], 3, "the cat disc's centre")
        XCTAssertTrue(mask.labels.contains(ClassMask.ignore), "VOC's boundary")
    }

    func testSavedViewRoundTrips() throws {
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("voc"), to: temp.appendingPathComponent("voc"))
        let image = temp.appendingPathComponent("voc/JPEGImages/scene-1.png")
        var s = Fixture.state(width: 100, height: 30)
        s.entries[0] = ImageEntry(url: image)
        s.pictures[0] = try ImageFile.read(path: image.path)
        let paths = try ViewExport(state: s).write()
        XCTAssertEqual(paths.map { URL(fileURLWithPath: $0).lastPathComponent }, ["scene-1.compare.png", "scene-1.compare.ans"])
        let png = try ImageFile.read(path: paths[0])
        XCTAssertEqual(png.width, 3 * 96 + 2 * 8, "image, raw and rectified side by side, 8 pixels apart")
        XCTAssertEqual(png.height, 64)
        // The image first, then the raw mask, whose left column is sky; the gaps are white.
        XCTAssertEqual(png[0, 0], s.pictures[0]![0, 0])
        XCTAssertEqual(png[96 + 8, 0], ClassPalette.forClasses(Fixture.classes)[0])
        XCTAssertEqual(png[96 + 3, 10], RGB(255, 255, 255))
        XCTAssertEqual(png[2 * 96 + 8 + 3, 10], RGB(255, 255, 255))
        let ansi = try String(contentsOfFile: paths[1], encoding: .utf8)
        XCTAssertTrue(ansi.contains("raw CLIP"))
        XCTAssertTrue(ansi.contains("\u{1b}["))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: image.deletingLastPathComponent().path).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [], "temporary files are renamed into place")
    }
}

/// Scores, colours on the terminal, and picture helpers.
final class ExplorerPartsTests: XCTestCase {
    /// The explorer's per-image mIoU is `reclip eval`'s: one image's confusion matrix.
    func testMeanIoUByHand() {
        func miou(_ prediction: [Int32], _ truth: [UInt8], classes: Int) -> Double {
            var m = ConfusionMatrix(classCount: classes)
            m.add(prediction: prediction, groundTruth: truth, reduceZeroLabel: false)
            return m.meanIoU
        }
        let truth: [UInt8] = [0, 0, 1, 255]
        // Class 0: I=1 (pixel 0), U=2 (pixels 0,1) -> 0.5. Class 1: I=1, U=2 (pixels 1,2) -> 0.5.
        XCTAssertEqual(miou([0, 1, 1, 0], truth, classes: 2), 0.5, accuracy: 1e-12)
        XCTAssertEqual(miou([0, 0, 1, 1], truth, classes: 2), 1, accuracy: 1e-12, "ignored pixels do not count")
        XCTAssertTrue(miou([0], [255], classes: 2).isNaN, "no pixel counts: no score")
        // A class only predicted counts with IoU 0.
        XCTAssertEqual(miou([0, 0, 2, 0], truth, classes: 3), (2.0 / 2 + 0 + 0) / 3, accuracy: 1e-12)
        // The compare view's caption is that figure.
        var s = Fixture.state(truth: Fixture.truth)
        s.groundTruthClasses = Fixture.classes
        XCTAssertTrue(ExplorerFrame(state: s.typing("0")).grid.text.contains("raw CLIP  mIoU"), ExplorerFrame(state: s).grid.text)
    }

    func testTerminalColoursPickPaletteEntries() {
        let c256 = TerminalColours(colours: 256)
        XCTAssertEqual(c256.index(of: .rgb(RGB(255, 0, 0))), 196)
        XCTAssertEqual(c256.index(of: .terminalDefault), -1)
        XCTAssertEqual(c256.index(of: .indexed(42)), 42)
        let c16 = TerminalColours(colours: 16)
        XCTAssertEqual(c16.index(of: .rgb(RGB(255, 0, 0))), 9)
        XCTAssertLessThan(c16.index(of: .indexed(200)), 16)
        let c8 = TerminalColours(colours: 8)
        XCTAssertLessThan(c8.index(of: .rgb(RGB(250, 10, 10))), 8)
        XCTAssertEqual(TerminalColours(colours: 2).index(of: .rgb(RGB(255, 0, 0))), -1)
    }

    func testResizeAveragesAndHalfBlocksStackPixels() {
        let p = RGBImage(width: 2, height: 2, colors: [RGB(0, 0, 0), RGB(200, 0, 0), RGB(0, 100, 0), RGB(0, 0, 40)])
        // The mean of the four pixels in linear light, back in sRGB: brighter than the sRGB mean.
        let mean = AreaResampler.resample(p, width: 1, height: 1)[0, 0]
        XCTAssertGreaterThan(mean.r, 50)
        XCTAssertGreaterThan(mean.g, 25)
        XCTAssertGreaterThan(mean.r, mean.g)
        XCTAssertGreaterThan(mean.g, mean.b)
        let cells = CellCanvas.cells(from: p, config: CanvasConfig(colorMode: .truecolor, cellMode: .halfBlock))
        XCTAssertEqual(cells.width, 2)
        XCTAssertEqual(cells.height, 1)
        XCTAssertEqual(cells[1, 0], Cell(glyph: "\u{2580}", foreground: .rgb(RGB(200, 0, 0)), background: .rgb(RGB(0, 0, 40))))
        let oneColour = CellCanvas.cells(from: AreaResampler.resample(p, width: 2, height: 1),
                                         config: CanvasConfig(colorMode: .truecolor, cellMode: .background))
        XCTAssertEqual(oneColour[0, 0].background, .rgb(AreaResampler.resample(p, width: 2, height: 1)[0, 0]))
    }

    func testDivergingScaleIsWhiteAtZeroAndSymmetric() {
        let (low, high) = HeatmapRange.symmetric.resolve([-0.5, 2, 1])
        XCTAssertEqual(low, -2)
        XCTAssertEqual(high, 2)
        func colour(_ v: Float) -> RGB {
            Heatmap(width: 1, height: 1, values: [v]).image(colorMap: .rdBuR, range: .fixed(low: low, high: high))[0, 0]
        }
        let white = colour(0)
        XCTAssertGreaterThan(Int(white.r) + Int(white.g) + Int(white.b), 3 * 200)
        XCTAssertGreaterThan(colour(2).r, colour(2).b, "positive is red")
        XCTAssertGreaterThan(colour(-2).b, colour(-2).r, "negative is blue")
        XCTAssertEqual(colour(5), colour(2), "saturates at the limit")
    }
}
