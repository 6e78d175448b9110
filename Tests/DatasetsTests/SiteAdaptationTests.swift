import Pixels
import XCTest
import TestSupport
@testable import Datasets
import CLIP
import ReCLIP
import SceneWorld

/// `reclip adapt`'s folder handling: the held-out part is spread over the folder and never
/// trained on, ground truth is found for it, and the held-out comparison scores exactly what
/// `reclip eval` would score on the same images.
final class SiteAdaptationTests: XCTestCase {
    func testHeldOutPositionsAreSpreadDistinctAndLeaveImagesToAdaptOn() {
        XCTAssertEqual(SiteFolder.heldOutPositions(count: 20, fraction: 0.25), [2, 6, 10, 14, 18])
        XCTAssertEqual(SiteFolder.heldOutPositions(count: 2, fraction: 0.05), [1], "at least one held out")
        XCTAssertEqual(SiteFolder.heldOutPositions(count: 1, fraction: 0.5), [], "one image cannot be split")
        for count in 2...60 {
            for fraction in [0.05, 0.25, 0.5, 0.9] {
                let p = SiteFolder.heldOutPositions(count: count, fraction: fraction)
                XCTAssertEqual(p, Array(Set(p)).sorted(), "\(count) \(fraction): distinct and sorted")
                XCTAssert(p.allSatisfy { (0..<count).contains($0) })
                XCTAssertEqual(p.count, min(count - 1, max(1, Int((Double(count) * fraction).rounded()))))
            }
        }
    }

    func testSiteFolderSplitsAndFindsTheMasksOfHeldOutImages() throws {
        let root = try scratchFolder("site", create: false)
        _ = try WorldDataset.write(WorldGenerator(seed: 6, size: 32, camera: .dusk), count: 8, to: root)
        let site = try SiteFolder(path: root.path, heldOutFraction: 0.25)
        XCTAssertEqual(site.heldOut.map(\.lastPathComponent), ["world_000002.png", "world_000006.png"])
        XCTAssertEqual(site.training.count, 6)
        XCTAssertTrue(Set(site.training).isDisjoint(with: site.heldOut), "held out means held out")
        XCTAssertEqual(Set(site.training).union(site.heldOut), Set(try ImageFolder.list(root.path)))
        XCTAssertEqual(Set(site.masks.keys), Set(site.heldOut))
        XCTAssertEqual(site.classes, WorldGenerator.classNames)

        let single = root.appendingPathComponent("single")
        try FileManager.default.createDirectory(at: single, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: site.heldOut[0], to: single.appendingPathComponent("a.png"))
        XCTAssertThrowsError(try SiteFolder(path: single.path, heldOutFraction: 0.25)) { error in
            XCTAssertTrue("\(error)".hasPrefix(single.path + ":") && "\(error)".contains("at least 2"), "\(error)")
        }
        XCTAssertThrowsError(try SiteFolder(path: root.path, heldOutFraction: .nan)) { error in
            XCTAssertTrue("\(error)".contains("held-out fraction"), "\(error)")
        }
    }

    /// The comparison's mIoU on the held-out images equals `DatasetEvaluation`'s on a split of
    /// the same images, raw and rectified; shares are fractions summing to one.
    func testHeldOutComparisonScoresAsTheEvaluationDoes() throws {
        let root = try scratchFolder("site", create: false)
        _ = try WorldDataset.write(WorldGenerator(seed: 9, size: 96, biases: WorldBiases.default.mixed(.coast)), count: 12, to: root)
        let site = try SiteFolder(path: root.path, heldOutFraction: 0.25)
        let layout = VOCLayout(root: root)
        try site.heldOut.map { $0.deletingPathExtension().lastPathComponent + "\n" }.joined()
            .write(to: layout.splitFile("held"), atomically: true, encoding: .utf8)
        let bundled = try DefaultModelTests.segmenter(.reclip)
        let raw = try DefaultModelTests.segmenter(nil)
        let c = try HeldOutComparison.measure(site, before: bundled, after: bundled, size: BundledModel.imageSize,
                                              alpha: 1, groundTruth: true)
        XCTAssertEqual(c.images, 3)
        XCTAssertEqual(c.labelled, 3)
        XCTAssertEqual(c.rows.map(\.name), ["raw", "before", "after"])
        let data = try VOCDataset(root: root)
        let rawReport = try DatasetEvaluation.run(dataset: data, split: "held", predict: { image in
            try raw.segment(image, size: BundledModel.imageSize).labels(alpha: 0, width: image.width, height: image.height)
        })
        let rectifiedReport = try DatasetEvaluation.run(dataset: data, split: "held", predict: { image in
            try bundled.segment(image, size: BundledModel.imageSize).labels(alpha: 1, width: image.width, height: image.height)
        })
        TestSupport.assertClose(c.rows.map { $0.meanIoU ?? .nan }, [rawReport.meanIoU, rectifiedReport.meanIoU, rectifiedReport.meanIoU],
                                tolerance: 1e-12, "mIoU raw, before, after")
        for row in c.rows {
            TestSupport.assertClose(row.shares.reduce(0, +), 1, tolerance: 1e-9, "\(row.name) shares")
            XCTAssertEqual(row.shares.count, 12)
        }
        XCTAssertNotNil(firstMismatch(c.rows[0].shares, c.rows[1].shares, tolerance: 1e-6), "the rectifier changes the shares")
        XCTAssertTrue(c.table.contains("mIoU"))
        let unscored = try HeldOutComparison.measure(site, before: bundled, after: bundled, size: BundledModel.imageSize,
                                                     alpha: 1, groundTruth: false)
        XCTAssertNil(unscored.rows[0].meanIoU)
        XCTAssertFalse(unscored.table.contains("mIoU"))
    }
}
