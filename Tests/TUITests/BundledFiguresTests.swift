import XCTest
import Foundation
import TestSupport
import Datasets

/// The figures the explorer's status line shows for the bundled model (`models/world/figures.json`)
/// are what `reclip eval` measures on the scenes they name, plain and refined by PAMR.
final class BundledFiguresTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardizedFileURL
    static var model: BundledModel { BundledModel(folder: repository.appendingPathComponent("models/world")) }

    func testTheCommittedFiguresDecodeWithTheirRefinedFigures() throws {
        let figures = try XCTUnwrap(Self.model.figures, "models/world/figures.json is missing or malformed")
        let pamr = try XCTUnwrap(figures.pamr, "figures.json has no PAMR figures")
        XCTAssertEqual(pamr.steps, 10)
        XCTAssertTrue(figures.summary.hasPrefix("held-out mIoU raw 38%, ReCLIP 38%, ReCLIP++ 41%"), figures.summary)
        XCTAssertEqual(figures.refinedSummary, "held-out mIoU with PAMR 10 raw 45%, ReCLIP 45%, ReCLIP++ 48% (200 scenes, world 4242)")
    }

    func testFiguresWithoutRefinedOnesOrMalformedAreHandled() throws {
        let folder = try scratchFolder("figures")
        let model = BundledModel(folder: folder)
        XCTAssertNil(model.figures, "no file")
        let plain = #"{"default_variant": "reclip", "raw": 0.3, "reclip": 0.31, "reclip_plus_plus": 0.32, "test_scenes": 5, "test_seed": 7}"#
        try Data(plain.utf8).write(to: model.figuresFile)
        let figures = try XCTUnwrap(model.figures)
        XCTAssertNil(figures.pamr)
        XCTAssertNil(figures.refinedSummary)
        XCTAssertEqual(figures.summary, "held-out mIoU raw 30%, ReCLIP 31%, ReCLIP++ 32% (5 scenes, world 7)")
        XCTAssertEqual(model.defaultVariant, .reclip)
        try Data(#"{"default_variant": "reclip", "raw": 0.3, "pamr": {"steps": 10}}"#.utf8).write(to: model.figuresFile)
        XCTAssertNil(model.figures, "a truncated record is not shown")
        XCTAssertEqual(model.defaultVariant, .reclipPlusPlus, "and the default falls back")
    }

    /// Each figure against a fresh `reclip eval` of its world's scenes, to 0.05 points (other
    /// BLAS kernels may flip a pixel or two). Release only: the debug build takes minutes here.
    func testTheFiguresAreWhatEvalMeasures() throws {
        #if DEBUG
        throw XCTSkip("evaluating 200 scenes six times is the release run's check (scripts/test runs both)")
        #else
        let figures = try XCTUnwrap(Self.model.figures)
        let pamr = try XCTUnwrap(figures.pamr)
        let folder = try scratchFolder("figures-eval").appendingPathComponent("test").path
        let world = try ReclipBinary.run(["world", "--seed", String(figures.test_seed), "--count", String(figures.test_scenes),
                                          "--val-fraction", "1", "--out", folder])
        XCTAssertEqual(world.status, 0, world.err)
        let cases: [(String, [String], Double)] = [
            ("raw", [], figures.raw), ("ReCLIP", ["--rectifier", "reclip", "--alpha", "1"], figures.reclip),
            ("ReCLIP++", ["--rectifier", "reclip++", "--alpha", "1"], figures.reclip_plus_plus),
            ("raw, PAMR", ["--pamr", "10"], pamr.raw),
            ("ReCLIP, PAMR", ["--rectifier", "reclip", "--alpha", "1", "--pamr", "10"], pamr.reclip),
            ("ReCLIP++, PAMR", ["--rectifier", "reclip++", "--alpha", "1", "--pamr", "10"], pamr.reclip_plus_plus),
        ]
        for (name, arguments, committed) in cases {
            let eval = try ReclipBinary.run(["eval", "--dataset", folder, "--json"] + arguments)
            XCTAssertEqual(eval.status, 0, "\(name): \(eval.err)")
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(eval.stdout)) as? [String: Any], name)
            let measured = try XCTUnwrap(json["mIoU"] as? Double, "\(name): \(eval.out.prefix(200))")
            assertClose([measured], [committed], tolerance: 5e-4, "\(name): figures.json against reclip eval")
        }
        #endif
    }
}
