import Foundation
import XCTest
import TestSupport
@testable import TUI
import ReCLIP

/// The dataset view's scores across runs: a round trip keeps every number, a changed file or
/// another setting is scored again, and a damaged cache file counts as absent.
final class DatasetScoreCacheTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try scratchFolder("reclip-score-cache", create: false) }

    func scores() -> ImageScores {
        ImageScores.measure(Fixture.maps, alpha: 1, truth: Fixture.truth, width: 40, height: 20)
    }

    func testARoundTripKeepsTheScoresAndAStampChangeDropsThem() throws {
        let setting = DatasetScoreCache.setting(engine: "w|r|96", readout: "maskclip", classes: Fixture.classes, alpha: 1)
        var cache = DatasetScoreCache(folder: folder, setting: setting)
        XCTAssertEqual(cache.count, 0)
        let stamp = ImageEntryStamp(path: "/images/a.png", stamp: "10:1.5|-")
        let s = scores()
        XCTAssertNotNil(s.curve)
        cache.store(s, for: stamp)
        try cache.write()
        let again = DatasetScoreCache(folder: folder, setting: setting)
        XCTAssertEqual(again.count, 1)
        XCTAssertEqual(again.scores(for: stamp), s, "every matrix, share and curve back as stored")
        XCTAssertNil(again.scores(for: ImageEntryStamp(path: "/images/a.png", stamp: "11:1.5|-")), "the file changed")
        XCTAssertNil(again.scores(for: ImageEntryStamp(path: "/images/b.png", stamp: "10:1.5|-")))
        // Another alpha, head, refinement, class list or engine is another file.
        for other in [DatasetScoreCache.setting(engine: "w|r|96", readout: "maskclip", classes: Fixture.classes, alpha: 0.9),
                      DatasetScoreCache.setting(engine: "w|r|96", readout: "sclip", classes: Fixture.classes, alpha: 1),
                      DatasetScoreCache.setting(engine: "w|r|96", readout: Readout(pamrSteps: Readout.refinedSteps).cacheKey,
                                                classes: Fixture.classes, alpha: 1),
                      DatasetScoreCache.setting(engine: "w|r|96", readout: "maskclip", classes: ["sky", "cat"], alpha: 1),
                      DatasetScoreCache.setting(engine: "w|r2|96", readout: "maskclip", classes: Fixture.classes, alpha: 1)] {
            XCTAssertEqual(DatasetScoreCache(folder: folder, setting: other).count, 0, other)
        }
    }

    func testAStampFollowsTheFilesSizeAndTime() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let image = folder.appendingPathComponent("a.png")
        try Data([1, 2, 3]).write(to: image)
        let first = try XCTUnwrap(ImageEntryStamp(image, groundTruth: nil))
        try Data([1, 2, 3, 4]).write(to: image)
        XCTAssertNotEqual(try XCTUnwrap(ImageEntryStamp(image, groundTruth: nil)), first)
        XCTAssertNil(ImageEntryStamp(folder.appendingPathComponent("missing.png"), groundTruth: nil))
    }

    func testADamagedCacheFileOrEntryCountsAsAbsent() throws {
        let setting = DatasetScoreCache.setting(engine: "e", readout: "maskclip", classes: Fixture.classes, alpha: 1)
        var cache = DatasetScoreCache(folder: folder, setting: setting)
        let stamp = ImageEntryStamp(path: "/images/a.png", stamp: "s")
        cache.store(scores(), for: stamp)
        try cache.write()
        let text = try String(contentsOf: cache.file, encoding: .utf8)
        // A share above 1, a matrix of the wrong size, a non-number: the entry is not used.
        for damaged in [text.replacingOccurrences(of: "\"changed\":", with: "\"changed\":7,\"x\":"),
                        text.replacingOccurrences(of: "\"classCount\":3", with: "\"classCount\":4"),
                        "{not json", ""] {
            try damaged.write(to: cache.file, atomically: true, encoding: .utf8)
            XCTAssertNil(DatasetScoreCache(folder: folder, setting: setting).scores(for: stamp), damaged.prefix(60).description)
        }
    }
}
