import Pixels
import XCTest
import TestSupport
import Render
@testable import Datasets
import CLIP
import ReCLIP
import SceneWorld

/// Evaluation on two tiny committed datasets whose scores are worked out by hand
/// (scripts/fixtures/make_eval_fixtures.py). The stand-in segmenter reads the class off the
/// image: red = 50 * class + 10.
final class DatasetEvaluationTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/reclip")

    func predict(_ image: RGBImage) -> [Int32] {
        (0..<(image.width * image.height)).map { Int32(image.pixels[$0 * 3]) / 50 }
    }

    func testListedClassesWithoutReduceZeroLabel() throws {
        let data = try VOCDataset(root: fixtures.appendingPathComponent("eval_listed"))
        XCTAssertEqual(data.classes, ["a", "b", "c"])
        XCTAssertFalse(data.reduceZeroLabel)
        let r = try DatasetEvaluation.run(dataset: data, split: "val", predict: predict)
        // class a: I 5, GT 6, pred 6 -> 5/7; b: I 3, GT 4, pred 6 -> 3/7; c: I 2, GT 4, pred 2 -> 1/2
        XCTAssertEqual(r.perClassIoU[0], 5.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(r.perClassIoU[1], 3.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(r.perClassIoU[2], 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.meanIoU, (8.0 / 7 + 0.5) / 3, accuracy: 1e-12)
        XCTAssertEqual(r.pixelAccuracy, 10.0 / 14, accuracy: 1e-12)
        XCTAssertEqual(r.images, 2)
        let json = try JSONSerialization.jsonObject(with: Data(r.json.utf8)) as! [String: Any]
        XCTAssertEqual(json["mIoU"] as! Double, r.meanIoU, accuracy: 1e-12)
        XCTAssertEqual((json["per_class"] as! [String: Double])["c"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(json["pixel_accuracy"] as! Double, 10.0 / 14, accuracy: 1e-12)
        XCTAssertTrue(r.table.contains("mIoU"))
        // Per image: each image's own confusion matrix, IoU over the classes in its ground truth
        // or prediction; the images' matrices add up to the split's.
        XCTAssertEqual(r.perImage.count, 2)
        var sum = ConfusionMatrix(classCount: 3)
        for (id, miou) in r.perImage {
            let (image, labels) = try data.sample(id)
            var own = ConfusionMatrix(classCount: 3)
            own.add(prediction: predict(image), groundTruth: labels, reduceZeroLabel: false)
            XCTAssertEqual(miou, own.meanIoU, accuracy: 1e-12)
            XCTAssertEqual((json["per_image"] as! [String: Double])[id]!, miou, accuracy: 1e-12)
            sum.add(own)
        }
        XCTAssertEqual(sum, r.matrix)
    }

    func testSeveralPredictorsInOnePassScoreEachAsAlone() throws {
        let data = try VOCDataset(root: fixtures.appendingPathComponent("eval_listed"))
        let alone = try DatasetEvaluation.run(dataset: data, split: "val", predict: predict)
        let reports = try DatasetEvaluation.run(dataset: data, split: "val", predictors: 2, predictWithTruth: { image, _ in
            [self.predict(image), [Int32](repeating: 0, count: image.width * image.height)]
        })
        XCTAssertEqual(reports.count, 2)
        XCTAssertEqual(reports[0].matrix, alone.matrix)
        XCTAssertNotEqual(reports[1].matrix, alone.matrix)
        // A predictor count that does not match is an error naming the image.
        XCTAssertThrowsError(try DatasetEvaluation.run(dataset: data, split: "val", predictors: 2,
                                                       predictWithTruth: { image, _ in [self.predict(image)] }))

        let table = HeadEvaluationTable(rows: [
            .init(head: .maskclip, templates: .reclip85, raw: reports[0], rawSeconds: 0.25, rectified: nil, rectifiedSeconds: nil),
            .init(head: .sclip, templates: .imagenet80, raw: reports[1], rawSeconds: 0.5, rectified: reports[0], rectifiedSeconds: 0.75),
        ], notes: ["val split, 2 images"])
        let lines = table.table.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[1].hasPrefix("maskclip   reclip85 "), lines[1])
        XCTAssertTrue(lines[1].contains(String(format: "%8.2f", alone.meanIoU * 100)), lines[1])
        XCTAssertTrue(lines[1].hasSuffix("       -         -          -"), lines[1])
        XCTAssertTrue(lines[2].hasSuffix("    0.750"), lines[2])
        let json = try JSONSerialization.jsonObject(with: Data(table.json.utf8)) as! [String: Any]
        let heads = json["heads"] as! [String: [String: Any]]
        XCTAssertEqual(heads["sclip"]!["rectified_seconds"] as! Double, 0.75)
        XCTAssertEqual((heads["maskclip"]!["raw"] as! [String: Any])["mIoU"] as! Double, alone.meanIoU, accuracy: 1e-12)
    }

    func testShardsOfASplitMergeIntoTheWholeSplitsReport() throws {
        XCTAssertEqual(ShardSelection(argument: "1/3")?.images(of: ["a", "b", "c", "d", "e"]), ["b", "e"])
        for bad in ["3/3", "-1/2", "0/0", "1", "a/b", "1/2/3"] { XCTAssertNil(ShardSelection(argument: bad), bad) }
        let data = try VOCDataset(root: fixtures.appendingPathComponent("eval_listed"))
        let whole = try DatasetEvaluation.run(dataset: data, split: "val", predict: predict)
        let dir = try scratchFolder("shards")
        var files: [URL] = []
        for i in 0..<2 {
            let selection = ShardSelection(index: i, count: 2)!
            let reports = try DatasetEvaluation.run(dataset: data, split: "val", predictors: 2, shard: selection,
                                                    predictWithTruth: { image, _ in [self.predict(image), self.predict(image)] })
            XCTAssertEqual(reports[0].images, 1)
            let shard = EvaluationShard(split: "val", shard: selection, splitImages: 2, settings: ["size": "336"],
                                        reports: reports, predictors: [(.sclip, .imagenet80, false), (.sclip, .imagenet80, true)],
                                        seconds: [0.5, 1.5])
            let url = dir.appendingPathComponent("s\(i).json")
            try shard.write(to: url)
            XCTAssertEqual(try EvaluationShard.read(from: url), shard)
            files.append(url)
        }
        let parts = try files.map { try EvaluationShard.read(from: $0) }
        let merged = try EvaluationShard.merge(parts, names: ["s0.json", "s1.json"])
        XCTAssertTrue(merged.isComplete)
        XCTAssertEqual(merged.reports[0].matrix, whole.matrix)
        XCTAssertEqual(merged.reports[1].matrix, whole.matrix)
        XCTAssertEqual(Set(merged.reports[0].perImage.map(\.id)), Set(whole.perImage.map(\.id)))
        let table = try XCTUnwrap(merged.headTable(notes: []))
        XCTAssertEqual(table.rows.count, 1)
        XCTAssertEqual(table.rows[0].rawSeconds, 0.5)
        XCTAssertEqual(table.rows[0].rectifiedSeconds, 1.5)
        // One shard alone is incomplete; a shard twice, or other settings, are refused.
        XCTAssertEqual(parts[0].missingShards, ["1/2"])
        XCTAssertThrowsError(try EvaluationShard.merge([parts[0], parts[0]], names: ["a", "b"])) {
            XCTAssertEqual("\($0)", "b: shard 0/2 is already in")
        }
        var other = parts[1]
        other.settings["size"] = "448"
        XCTAssertThrowsError(try EvaluationShard.merge([parts[0], other], names: ["a", "b"])) {
            XCTAssertEqual("\($0)", "b: setting size = 448, but a has 336: not shards of one evaluation")
        }
        // A file that is not a shard, or whose counts do not fit the classes.
        let junk = dir.appendingPathComponent("junk.json")
        try Data("{}".utf8).write(to: junk)
        XCTAssertThrowsError(try EvaluationShard.read(from: junk))
        var broken = parts[0]
        broken.predictors[0].counts.removeLast()
        try broken.write(to: junk)
        XCTAssertThrowsError(try EvaluationShard.read(from: junk)) {
            XCTAssertTrue("\($0)".hasSuffix("every predictor needs 3 x 3 non-negative counts"), "\($0)")
        }
        // A shard beyond the split's images is an error, not an empty report.
        XCTAssertThrowsError(try DatasetEvaluation.run(dataset: data, split: "val", predictors: 1,
                                                       shard: ShardSelection(index: 2, count: 3),
                                                       predictWithTruth: { image, _ in [self.predict(image)] }))
    }

    func testVOCReduceZeroLabelAndAbsentClasses() throws {
        let data = try VOCDataset(root: fixtures.appendingPathComponent("eval_voc"))
        XCTAssertEqual(data.classes.count, 20)
        XCTAssertTrue(data.reduceZeroLabel)
        let r = try DatasetEvaluation.run(dataset: data, split: "val", predict: predict)
        // gt [bg, 1, 2, ignore] -> [-, 0, 1, -]; pred [5, 0, 0, 3]: class 0 I 1 U 2; class 1 I 0 U 1
        XCTAssertEqual(r.perClassIoU[0], 0.5)
        XCTAssertEqual(r.perClassIoU[1], 0)
        XCTAssertTrue(r.perClassIoU[2...].allSatisfy(\.isNaN))
        XCTAssertEqual(r.meanIoU, 0.25)
        XCTAssertEqual(r.pixelAccuracy, 0.5)
        let json = try JSONSerialization.jsonObject(with: Data(r.json.utf8)) as! [String: Any]
        XCTAssertTrue((json["per_class"] as! [String: Any])["bird"] is NSNull)
    }

    func testMissingFolderAndSplitAreClearErrors() {
        XCTAssertThrowsError(try VOCDataset(root: fixtures.appendingPathComponent("nowhere"))) { e in
            XCTAssertTrue("\(e)".contains("no such dataset folder"))
        }
        XCTAssertThrowsError(try DatasetEvaluation.run(dataset: try VOCDataset(root: fixtures.appendingPathComponent("eval_voc")),
                                                       split: "train", predict: predict)) { e in
            XCTAssertTrue("\(e)".contains("train split"), "\(e)")
        }
    }
}
