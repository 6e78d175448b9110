import Foundation
import ReCLIP
import XCTest

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
        let folder = NSTemporaryDirectory() + "reclip-adapt-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let home = folder + "/home"
        func reclip(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try TmuxSession.locateReclip())
            p.arguments = arguments
            p.environment = ["PATH": "/usr/bin:/bin", "RECLIP_HOME": home]
            let out = Pipe(), err = Pipe()
            p.standardOutput = out; p.standardError = err
            try p.run()
            let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, o, e)
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
}
