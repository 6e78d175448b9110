import Foundation
import XCTest
import TestSupport

/// `scripts/slurm/eval_array.sbatch` and the shard spellings it uses, with the real binary:
/// the script parses (`bash -n`), each array task writes its part with `reclip eval --shard
/// I/N --out`, `reclip eval merge` adds the parts up into what one run prints, and run as a
/// script it submits the array and a merge that depends on it (a stand-in `sbatch` records
/// the calls).
final class EvalShardScriptTests: XCTestCase {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let script = package.appendingPathComponent("scripts/slurm/eval_array.sbatch").path
    static let samples = package.appendingPathComponent("samples/world").path

    /// Runs `executable` with `arguments` in `folder`; returns the exit status, stdout and stderr.
    func run(_ executable: String, _ arguments: [String], in folder: URL, environment: [String: String] = [:])
        throws -> ChildProcessResult {
        try ChildProcess.run(executable, arguments,
                             environment: ["PATH": "/usr/bin:/bin", "RECLIP_HOME": folder.appendingPathComponent("home").path]
                                .merging(environment) { $1 },
                             directory: folder)
    }

    func folder() throws -> URL {
        try scratchFolder("eval-array")
    }

    func testTheScriptParses() throws {
        let r = try run("/bin/bash", ["-n", Self.script], in: try folder())
        XCTAssertEqual(r.status, 0, r.err)
        let text = try String(contentsOfFile: Self.script, encoding: .utf8)
        XCTAssertTrue(text.contains("#SBATCH --array=0-"), text)
        XCTAssertTrue(text.contains(#"--shard "$SLURM_ARRAY_TASK_ID/$N" --out "part-$SLURM_ARRAY_TASK_ID.json""#), text)
    }

    /// Two array tasks of cls-subtract on the world samples, merged: the one run's figures.
    func testArrayTasksWriteTheirPartsAndTheMergeIsTheOneRun() throws {
        let reclip = try TmuxSession.locateReclip()
        let dir = try folder()
        for i in 0..<2 {
            let r = try run("/bin/bash", [Self.script], in: dir, environment: [
                "RECLIP": reclip, "DATASET": Self.samples, "EVAL_ARGS": "--rectifier cls-subtract --json",
                "SLURM_ARRAY_TASK_ID": "\(i)", "SLURM_ARRAY_TASK_COUNT": "2"])
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertTrue(r.out.contains("shard \(i)/2: 12 of 24 images -> part-\(i).json"), r.out)
        }
        let merged = try run(reclip, ["eval", "merge", "part-0.json", "part-1.json", "--json"], in: dir)
        XCTAssertEqual(merged.status, 0, merged.err)
        let whole = try run(reclip, ["eval", "--dataset", Self.samples, "--rectifier", "cls-subtract", "--json"], in: dir)
        XCTAssertEqual(whole.status, 0, whole.err)
        XCTAssertFalse(whole.err.contains("no rectifier"), whole.err)
        XCTAssertEqual(merged.out, whole.out)
        XCTAssertTrue(whole.out.contains("\"mIoU\""), whole.out)
        // Alpha 0 takes nothing off: the raw figures; the older spelling --save-shard still writes a part.
        let raw = try run(reclip, ["eval", "--dataset", Self.samples, "--json"], in: dir)
        let off = try run(reclip, ["eval", "run", "--dataset", Self.samples, "--rectifier", "cls-subtract", "--alpha", "0", "--json"], in: dir)
        XCTAssertEqual(raw.out, off.out)
        let old = try run(reclip, ["eval", "--dataset", Self.samples, "--shard", "0/2", "--save-shard", "old.json"], in: dir)
        XCTAssertEqual(old.status, 0, old.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("old.json").path))
        // One part alone: the missing one is named.
        let half = try run(reclip, ["eval", "merge", "part-0.json"], in: dir)
        XCTAssertTrue(half.err.contains("missing shard(s) 1/2"), half.err)
    }

    /// Not in an array: the script submits itself as the array, then the merge after it.
    func testRunAsAScriptItSubmitsTheArrayAndADependentMerge() throws {
        let dir = try folder()
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let sbatch = bin.appendingPathComponent("sbatch")
        try "#!/bin/bash\necho \"$*\" >> \"\(dir.path)/sbatch.log\"\necho '4242;cluster'\n".write(to: sbatch, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: sbatch.path)
        let r = try run("/bin/bash", [Self.script], in: dir, environment: ["PATH": bin.path + ":/usr/bin:/bin", "RECLIP": "reclip"])
        XCTAssertEqual(r.status, 0, r.err)
        let calls = try String(contentsOf: dir.appendingPathComponent("sbatch.log"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(calls.count, 2, "\(calls)")
        XCTAssertEqual(calls.first, "--parsable \(Self.script)")
        XCTAssertTrue(calls.last?.hasPrefix("--dependency=afterok:4242 ") ?? false, "\(calls)")
        XCTAssertTrue(calls.last?.hasSuffix("--wrap reclip eval merge part-*.json") ?? false, "\(calls)")
    }
}
