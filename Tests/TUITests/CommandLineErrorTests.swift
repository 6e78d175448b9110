import Foundation
import XCTest
import TestSupport

/// The real binary refuses bad inputs with one line naming the problem and a non-zero exit,
/// before any work: numeric options out of range, a directory or a FIFO given as an image,
/// an image whose dense forward would exceed the token budget.
final class CommandLineErrorTests: XCTestCase {
    func run(_ arguments: [String]) throws -> ChildProcessResult {
        try ReclipBinary.run(arguments)
    }

    func assertOneLineError(_ arguments: [String], contains expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(arguments)
        XCTAssertNotEqual(r.status, 0, "\(arguments)", file: file, line: line)
        let lines = r.err.split(separator: "\n").filter { !$0.hasPrefix("no rectifier") && !$0.hasPrefix("Usage") && !$0.hasPrefix("  See") && !$0.hasPrefix("Help:") && !$0.isEmpty }
        XCTAssertEqual(lines.count, 1, "one line for \(arguments): \(r.err)", file: file, line: line)
        XCTAssertTrue(r.err.contains(expected), "\(arguments): \(r.err)", file: file, line: line)
        XCTAssertLessThan(r.seconds, 20, file: file, line: line)
    }

    func testNumericOptionsAreRangeChecked() throws {
        let train = ["train", "--weights", "w", "--images", "i", "--classes", "a", "--out", "o"]
        try assertOneLineError(train + ["--epochs", "0"], contains: "--epochs 0: use 1...10000")
        try assertOneLineError(train + ["--lr", "nan"], contains: "--lr nan: use a finite number")
        try assertOneLineError(train + ["--crop-step", "100"], contains: "--crop-step 100: use 1...56")
        try assertOneLineError(train + ["--size", "8"], contains: "--size 8: use 16...4096 pixels")
        try assertOneLineError(train + ["--crop-window", "4"], contains: "--crop-window 4: use 8...336 pixels (at most --size)")
        try assertOneLineError(["eval", "--dataset", "d", "--presence", "inf"], contains: "--presence inf")
        try assertOneLineError(["bench", "alpha", "--classes", "0"], contains: "--classes 0: use 1...1000")
        try assertOneLineError(["segment", "--image", "x.png", "--alpha", "nan"], contains: "--alpha")
    }

    func testHeadWindowAndPAMROptionsAreChecked() throws {
        let segment = ["segment", "--image", "x.png"]
        try assertOneLineError(segment + ["--window", "0:16"], contains: "--window 0:16: CROP 0: use 1...4096 pixels")
        try assertOneLineError(segment + ["--window", "64:0"], contains: "--window 64:0: STRIDE 0: use 1...64 pixels")
        try assertOneLineError(segment + ["--window", "224"], contains: "--window 224: write CROP:STRIDE in pixels")
        try assertOneLineError(segment + ["--size", "96", "--window", "128:64"],
                               contains: "CROP 128 is larger than the image (short side --size 96): use 1...96")
        try assertOneLineError(segment + ["--pamr", "51"], contains: "--pamr 51: use 0...50 steps")
        try assertOneLineError(segment + ["--cls-subtract", "1.5"], contains: "--cls-subtract 1.5: use a finite number in 0.0...1.0")
        try assertOneLineError(segment + ["--rectifier", "cls-subtract", "--cls-subtract", "0.3"],
                               contains: "--cls-subtract 0.3: --rectifier cls-subtract already subtracts the global logits")
        try assertOneLineError(["eval", "--dataset", "d", "--rectifier", "cls-subtract", "--cls-subtract", "0.3"],
                               contains: "--cls-subtract 0.3: --rectifier cls-subtract already subtracts the global logits")
        try assertOneLineError(segment + ["--rectifier", "cls-subtract", "--variant", "reclip"],
                               contains: "--variant reclip: --rectifier cls-subtract is training-free")
        try assertOneLineError(segment + ["--rectifier", "cls-subtract", "--alpha", "11"], contains: "--alpha 11.0: use 0...10")
        try assertOneLineError(["eval", "merge"], contains: "Missing expected argument '<shards> ...'")
        try assertOneLineError(segment + ["--background-threshold", "nan"], contains: "--background-threshold nan: use a finite number in 0.0...1.0")
        try assertOneLineError(["eval", "--dataset", "d", "--background-threshold", "1.5"],
                               contains: "--background-threshold 1.5: use a finite number in 0.0...1.0")
        try assertOneLineError(segment + ["--head", "segformer"], contains: "'maskclip', 'sclip', 'clearclip' or 'naclip'")
        try assertOneLineError(["eval", "--dataset", "d", "--heads", "sclip,sclip"], contains: "--heads sclip,sclip: sclip is listed twice")
        try assertOneLineError(["eval", "--dataset", "d", "--heads", "sclip,segformer"],
                               contains: "'segformer' is not a head: use maskclip, sclip, clearclip, naclip")
        try assertOneLineError(["eval", "--dataset", "d", "--heads", "sclip", "--alpha", "auto"],
                               contains: "--heads compares at a fixed alpha")
        try assertOneLineError(["eval", "--dataset", "d", "--shard", "2/2"], contains: "--shard 2/2: write I/N")
        // The bundled model's default size (96 px) is only known at run time: still one line.
        let image = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../samples/world/JPEGImages/world_000000.png").standardized.path
        try assertOneLineError(["segment", "--image", image, "--window", "128:64"], contains: "CROP 128 is larger than the image")
    }

    func testDirectoriesFIFOsAndThinImagesAreRefused() throws {
        let folder = NSTemporaryDirectory() + "reclip-cli-files-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try assertOneLineError(["segment", "--image", folder], contains: "is a directory, not a file")
        XCTAssertEqual(mkfifo(folder + "/pipe.png", 0o600), 0)
        try assertOneLineError(["segment", "--image", folder + "/pipe.png"], contains: "is a FIFO, not a regular file")
        // A 300x1 image: 43,200 patch tokens at the bundled model's 96 px; refused at once.
        try assertOneLineError(["segment", "--image", Self.thinPNG()], contains: "the limit is 4096")
    }

    /// A JPEG given as a mask is named for what it is; more classes than a palette PNG holds
    /// are refused before the model is even loaded.
    func testAJPEGMaskAndTooManyClassesForAMaskAreRefusedUpFront() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let image = here.appendingPathComponent("../../samples/world/JPEGImages/world_000000.png").standardized.path
        let jpeg = here.appendingPathComponent("../Fixtures/render/orient6.jpg").standardized.path
        try assertOneLineError(["render", image, "--mask", jpeg, "--width", "20"], contains: "a JPEG cannot hold a class mask")
        let classes = (0..<257).map { "class\($0)" }.joined(separator: ",")
        let r = try run(["segment", "--image", image, "--classes", classes, "--mask-out", NSTemporaryDirectory() + "never.png"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("--mask-out: a palette PNG holds at most 256 classes, and 257 are given"), r.err)
        XCTAssertLessThan(r.seconds, 20, "refused before 257 x 85 prompts run through the text tower")
    }

    /// The committed 300x1 PNG (made by scripts/fixtures/make_render_fixtures.py).
    static func thinPNG() -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/render/thin-300x1.png").standardized.path
    }
}
