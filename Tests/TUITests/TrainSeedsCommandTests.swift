import Foundation
import XCTest
import TestSupport
import ModelFiles
import ReCLIP

/// `reclip train --seeds` through the real binary: each seed trained, the one with the lowest
/// last-epoch loss written to --out (the very tensors a --seed run of it writes), every seed's
/// loss recorded, no file left beside --out; and its options refused with one line.
extension CommandLineErrorTests {
    func trainArguments(_ out: String, _ extra: [String]) -> [String] {
        ["train", "--weights", Self.repository.appendingPathComponent("models/world/mini-clip.safetensors").path,
         "--images", Self.repository.appendingPathComponent("samples/world").path, "--classes", NonUTF8PathTests.worldClasses,
         "--size", "96", "--variant", "reclip++", "--crop-window", "24", "--crop-step", "12", "--batch", "8",
         "--lr", "0.03", "--epochs", "2", "--checkpoint-every", "0", "--out", out] + extra
    }

    func testTrainWithSeedsKeepsTheLowestLastEpochLossRun() throws {
        let folder = try scratchFolder("reclip-seeds").path
        let home = folder + "/home", out = folder + "/kept.safetensors"
        let r = try ReclipBinary.run(trainArguments(out, ["--seeds", "3,1"]), home: home)
        XCTAssertEqual(r.status, 0, r.err)
        let kept = try Rectifier.load(from: URL(fileURLWithPath: out))
        let record = try XCTUnwrap(kept.metadata["seed_selection"])
        XCTAssertTrue(record.hasPrefix("lowest last-epoch loss of seeds 3 ("), record)
        XCTAssertTrue(r.out.contains(record), r.out)
        // Each seed alone: the kept file is the lower loss's run, tensor for tensor.
        var losses: [String: Double] = [:]
        var files: [String: SafeTensorsFile] = [:]
        for seed in ["3", "1"] {
            let single = folder + "/seed\(seed).safetensors"
            let s = try ReclipBinary.run(trainArguments(single, ["--seed", seed]), home: home)
            XCTAssertEqual(s.status, 0, s.err)
            files[seed] = try SafeTensorsFile(path: single)
            losses[seed] = try XCTUnwrap(Double(XCTUnwrap(files[seed]?.metadata["last_epoch_loss"])))
            XCTAssertTrue(record.contains(seed + " (" + String(format: "%.4f", losses[seed]!) + ")"), record)
        }
        let winner = losses["3"]! <= losses["1"]! ? "3" : "1"
        XCTAssertNotEqual(losses["3"], losses["1"], "two seeds, two runs")
        XCTAssertTrue(record.hasSuffix(": kept \(winner)"), record)
        XCTAssertEqual(kept.metadata["seed"], winner)
        let keptFile = try SafeTensorsFile(path: out)
        let expected = try XCTUnwrap(files[winner])
        XCTAssertEqual(keptFile.names.sorted(), expected.names.sorted())
        for name in expected.names { XCTAssertEqual(try keptFile.tensor(name).data, try expected.tensor(name).data, name) }
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".partial") }
        XCTAssertEqual(left, [], "no seed's file is left beside --out")
    }

    func testTrainSeedsOptionsAreChecked() throws {
        let folder = try scratchFolder("reclip-seeds-options").path
        let out = folder + "/o.safetensors"
        try assertOneLineError(trainArguments(out, ["--seeds", "1"]), contains: "--seeds 1: give 2 to 16 different non-negative integers")
        try assertOneLineError(trainArguments(out, ["--seeds", "1,1"]), contains: "--seeds 1,1: give 2 to 16")
        try assertOneLineError(trainArguments(out, ["--seeds", "1,-2"]), contains: "--seeds 1,-2: give 2 to 16")
        try assertOneLineError(trainArguments(out, ["--seeds", (0...16).map(String.init).joined(separator: ",")]), contains: "give 2 to 16")
        try assertOneLineError(trainArguments(out, ["--seeds", "0,1", "--seed", "2"]), contains: "--seed 2 and --seeds: give one of them")
        try assertOneLineError(trainArguments(out, ["--seeds", "0,1", "--resume"]), contains: "--seeds trains each seed from its start: it cannot --resume")
        // A file where a seed's run would go is kept, and nothing is written.
        FileManager.default.createFile(atPath: out + ".seed-1.partial", contents: Data("mine".utf8))
        try assertOneLineError(trainArguments(out, ["--seeds", "0,1"]), contains: "o.safetensors.seed-1.partial: already exists")
        XCTAssertEqual(FileManager.default.contents(atPath: out + ".seed-1.partial"), Data("mine".utf8))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".seed-0.partial"))
    }
}
