import Foundation
import XCTest
import TestSupport

/// The tests' one way of starting a child: both streams kept whole however large, its exit
/// status, standard input at end of file, and only the environment it is given.
final class ChildProcessTests: XCTestCase {
    func testLargeOutputOnBothStreamsDoesNotBlockAndIsKeptWhole() throws {
        // 200 kB on each stream: more than a pipe holds, so a reader of one stream at a time would hang.
        let r = try ChildProcess.shell("head -c 200000 /dev/zero; head -c 200001 /dev/zero >&2; exit 3")
        XCTAssertEqual(r.status, 3)
        XCTAssertEqual(r.stdout.count, 200_000)
        XCTAssertEqual(r.stderr.count, 200_001)
        XCTAssertTrue(r.stdout.allSatisfy { $0 == 0 } && r.stderr.allSatisfy { $0 == 0 })
    }

    func testStandardInputIsAtEndAndTheEnvironmentIsExactlyTheGivenOne() throws {
        let r = try ChildProcess.run("/usr/bin/env", ["sh", "-c", "cat; env"], environment: ["PATH": "/usr/bin:/bin", "ONE": "1"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(Set(r.out.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("PWD=") && !$0.hasPrefix("SHLVL=") && !$0.hasPrefix("_=") }),
                       ["PATH=/usr/bin:/bin", "ONE=1"])
    }

    func testTheFolderIsTheChildsCurrentDirectoryAndBytesAreKeptAsWritten() throws {
        let folder = try scratchFolder("child-cwd")
        let r = try ChildProcess.run("/bin/sh", ["-c", #"pwd; printf 'caf\351'"#], environment: ["PATH": "/usr/bin:/bin"], directory: folder)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(Array(r.stdout.suffix(4)), [0x63, 0x61, 0x66, 0xE9])
        XCTAssertEqual(r.out.split(separator: "\n").first.map(String.init),
                       folder.resolvingSymlinksInPath().path)
    }
}
