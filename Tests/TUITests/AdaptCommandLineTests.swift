import Foundation
import ReCLIP
import XCTest
import TestSupport

/// Issue 17's commands through the real binary: the shift options of `reclip world`, `train
/// --init` and `adapt` refuse bad inputs with one line, and `adapt` runs a small site folder to
/// the end without drawing progress into a pipe, and keeps an existing --out.
extension CommandLineErrorTests {
    static var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized }

    func testWorldShiftTrainInitAndAdaptOptionsAreChecked() throws {
        try assertOneLineError(["world", "--count", "1", "--out", "o", "--camera", "night"], contains: "--camera night: use one of standard, dusk")
        try assertOneLineError(["world", "--count", "1", "--out", "o", "--scene-mix", "forest"], contains: "'streets'")
        try assertOneLineError(["adapt", "--images", "i", "--out", "o", "--hold-out", "0.99"], contains: "--hold-out 0.99: use a finite number in 0.05...0.9")
        let models = Self.repository.appendingPathComponent("models/world")
        let train = ["train", "--weights", models.appendingPathComponent("mini-clip.safetensors").path,
                     "--images", Self.repository.appendingPathComponent("samples/world").path,
                     "--classes", "sky,cloud,mountain,snow,tree,grass,water,sand,road,building,car,boat", "--size", "96",
                     "--out", NSTemporaryDirectory() + "reclip-never-\(UUID().uuidString).safetensors"]
        try assertOneLineError(train + ["--init", "/nonexistent/r.safetensors"],
                               contains: "/nonexistent/r.safetensors: no such rectifier file to start from (--init)")
        let bundled = models.appendingPathComponent("rectifier-reclip.safetensors").path
        try assertOneLineError(train + ["--init", bundled, "--variant", "reclip++"], contains: "\(bundled): holds a reclip rectifier")
        try assertOneLineError(train + ["--init", bundled, "--head", "sclip"], contains: "pass --head maskclip")
        try assertOneLineError(train + ["--init", bundled, "--classes", "sky,cloud"], contains: "\(bundled): trained for classes")
        try assertOneLineError(train + ["--adaptation", "shift-test"], contains: "--adaptation shift-test adapts a rectifier: give the one to start from with --init")
        try assertOneLineError(train + ["--init", bundled, "--shift-threshold", "5"], contains: "--shift-threshold 5.0: use a finite number in 0.0...2.0")
        try assertOneLineError(["adapt", "--images", "i", "--out", "o", "--adaptation", "sgd"], contains: "'sgd'")
        try assertOneLineError(train + ["--init", bundled, "--adaptation", "shift-test"],
                               contains: "\(bundled): the shift test needs a ReCLIP++ rectifier")
    }

    func testAdaptRunsASiteFolderAndKeepsAnExistingOutput() throws {
        let folder = try scratchFolder("reclip-adapt").path
        func reclip(_ arguments: [String]) throws -> ChildProcessResult {
            try ReclipBinary.run(arguments, home: folder + "/home")
        }
        XCTAssertEqual(try reclip(["world", "--seed", "3", "--count", "8", "--camera", "dusk", "--out", folder + "/site"]).status, 0)
        let out = folder + "/adapted.safetensors"
        let r = try reclip(["adapt", "--images", folder + "/site", "--out", out])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("to 6 images of \(folder)/site, 2 held out"), r.out)
        XCTAssertTrue(r.out.contains("held out: 2 image(s), 2 with ground truth"), r.out)
        XCTAssertNotNil(r.out.split(separator: "\n").first { $0.hasPrefix("mIoU") }, r.out)
        XCTAssertFalse(r.err.contains("ETA") || r.err.contains("\r"), "no progress drawn into a pipe: \(r.err)")
        /// The safetensors metadata of `file`.
        func metadataOf(_ file: String) throws -> [String: String] {
            let header = try Data(contentsOf: URL(fileURLWithPath: file))
            let length = header.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let json = try JSONSerialization.jsonObject(with: header.subdata(in: 8..<(8 + length))) as? [String: Any]
            return try XCTUnwrap(json?["__metadata__"] as? [String: String])
        }
        let metadata = try metadataOf(out)
        // `reclip adapt` starts from the bundled default variant (models/world/figures.json).
        let figures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../models/world/figures.json")
        let bundled = try JSONSerialization.jsonObject(with: Data(contentsOf: figures)) as? [String: Any]
        let variant = try XCTUnwrap(bundled?["default_variant"] as? String)
        XCTAssertEqual(metadata["initialised_from"], "rectifier-\(variant).safetensors")
        XCTAssertEqual(metadata["adapted_images"], "6")
        // The bundled ReCLIP++ records its feature reference, so the shift test adapts it: no step,
        // the test's residual and decision in the file and on the terminal.
        XCTAssertEqual(variant, "reclip++")
        XCTAssertEqual(metadata["adaptation"], "shift-test")
        XCTAssertNotNil(metadata["shift_test_residual"].flatMap(Double.init), "\(metadata)")
        XCTAssertTrue(r.out.contains("shift test on 6 image(s): "), r.out)
        XCTAssertTrue(r.out.contains("(reclip++) to 6 images") && r.out.contains("shift test (threshold 0.14)"), r.out)
        // --adaptation steps: the start's own few-image schedule (ReCLIP++: one batch of 6, 5 steps).
        let stepped = folder + "/stepped.safetensors"
        let s = try reclip(["adapt", "--images", folder + "/site", "--out", stepped, "--adaptation", "steps"])
        XCTAssertEqual(s.status, 0, s.err)
        let steppedMetadata = try metadataOf(stepped)
        let schedule = AdaptationSchedule(images: 6, variant: .reclipPlusPlus)
        XCTAssertEqual(steppedMetadata["step"], "\(schedule.steps)", "the schedule: \(schedule)")
        XCTAssertEqual(steppedMetadata["batch"], "\(schedule.batchSize)")
        XCTAssertEqual(steppedMetadata["epochs"], "\(schedule.epochs)")
        XCTAssertNil(steppedMetadata["shift_test_residual"])
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let again = try reclip(["adapt", "--images", folder + "/site", "--out", out])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.err.contains("the file exists"), again.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), before, "an existing --out is kept")
    }

    /// `reclip reference` on the bundled ReCLIP++ (`--rectifier reclip++`, the bundled model's
    /// options): every tensor but the reference is copied byte for byte, the reference counts
    /// each of the folder's 6 x 12 x 12 patches once, and an existing --out is kept.
    func testReferenceRecordsTheFolderAndCopiesTheRectifier() throws {
        let folder = try scratchFolder("reclip-reference").path
        func reclip(_ arguments: [String]) throws -> ChildProcessResult {
            try ReclipBinary.run(arguments, home: folder + "/home")
        }
        /// Each tensor's dtype, shape and bytes.
        func tensors(_ file: String) throws -> [String: (dtype: String, shape: [Int], bytes: Data)] {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
            var result: [String: (dtype: String, shape: [Int], bytes: Data)] = [:]
            for (name, value) in header where name != "__metadata__" {
                let entry = try XCTUnwrap(value as? [String: Any])
                let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
                result[name] = (try XCTUnwrap(entry["dtype"] as? String), try XCTUnwrap(entry["shape"] as? [Int]),
                                data.subdata(in: (8 + length + offsets[0])..<(8 + length + offsets[1])))
            }
            return result
        }
        XCTAssertEqual(try reclip(["world", "--seed", "3", "--count", "6", "--out", folder + "/site"]).status, 0)
        let out = folder + "/referenced.safetensors"
        let r = try reclip(["reference", "--rectifier", "reclip++", "--images", folder + "/site", "--out", out])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasPrefix("recorded the feature reference of 6 images ("), r.out)
        let bundled = try tensors(Self.repository.appendingPathComponent("models/world/rectifier-reclip++.safetensors").path)
        let written = try tensors(out)
        XCTAssertEqual(Set(written.keys), Set(bundled.keys))
        for (name, t) in bundled where !name.hasPrefix("feature_reference.") {
            XCTAssertEqual(written[name]?.bytes, t.bytes, name)
        }
        let counts = try XCTUnwrap(written[FeatureReference.countsTensor])
        XCTAssertEqual(counts.dtype, "F32")
        XCTAssertEqual(counts.shape, [12])
        let total = counts.bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }.reduce(0, +)
        XCTAssertEqual(total, 6 * 12 * 12, "every patch of the 6 images at 96 px (patch 8) counted once")
        XCTAssertEqual(try XCTUnwrap(written[FeatureReference.meansTensor]).shape, try XCTUnwrap(bundled[FeatureReference.meansTensor]).shape)
        XCTAssertNotEqual(written[FeatureReference.meansTensor]?.bytes, bundled[FeatureReference.meansTensor]?.bytes,
                          "the means of this folder, not the bundled file's")
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let again = try reclip(["reference", "--rectifier", "reclip++", "--images", folder + "/site", "--out", out])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.err.contains("the file exists"), again.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), before, "an existing --out is kept")
        let missing = try reclip(["reference", "--rectifier", folder + "/none.safetensors", "--images", folder + "/site", "--out", folder + "/x"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("none.safetensors: no such rectifier file"), missing.err)
        let none = try reclip(["reference", "--weights", Self.repository.appendingPathComponent("models/world/mini-clip.safetensors").path,
                               "--images", folder + "/site", "--out", folder + "/x"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.err.contains("--rectifier: give the rectifier file"), none.err)
    }
}
