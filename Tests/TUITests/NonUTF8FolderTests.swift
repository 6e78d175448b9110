import Foundation
import Render
import XCTest
import TestSupport
import FileIO
@testable import Datasets

/// Issue 14's non-UTF-8 names in folder listings: the explorer's collection, the training
/// folder and a VOC dataset find `caf\xE9.png` and a folder named `w\xE9rld`, open them, and
/// show the names escaped. The shell makes the files, so their names are bytes, not PathBytes.
extension ImageCollectionTests {
    /// Runs `script` in `sh` with `$T` the test's folder, `$F` the fixtures, `$P` a sample PNG.
    func shell(_ script: String) throws {
        let r = try ChildProcess.shell("set -e; " + script,
                                       variables: ["T": temp.path, "F": Self.fixtures.path,
                                                   "P": Self.fixtures.appendingPathComponent("voc/JPEGImages/scene-1.png").path])
        XCTAssertEqual(r.status, 0, "\(script): \(r.err)")
    }

    /// `temp/<prefix><0xE9><suffix>` as the path string a listing or argv gives.
    func latin1(_ prefix: String, _ suffix: String) -> String {
        PathBytes.string(Array(temp.path.utf8) + Array("/\(prefix)".utf8) + [0xE9] + Array(suffix.utf8))
    }

    func testFoldersListAndOpenLatin1NamesAndShowThemEscaped() throws {
        try shell(#"mkdir "$T/photos"; cp "$P" "$T/photos/$(printf 'caf\351.png')"; cp -r "$F/voc" "$T/$(printf 'w\351rld')""#)
        let c = try ImageCollection(paths: [temp.path])
        XCTAssertEqual(c.entries.map(\.name), [#"caf\xE9.png"#, "scene-1.png", "scene-2.png", "scene-3.png"])
        XCTAssertNoThrow(try ImageFile.read(path: c.entries[0].url.path))
        XCTAssertEqual(c.entries.compactMap(\.groundTruth).count, 3, "the masks of the dataset inside w\\xE9rld")
        for entry in c.entries { XCTAssertNotNil(FileStamp.of(entry.url), entry.name) }

        let training = try ImageFolder.list(temp.appendingPathComponent("photos").path)
        XCTAssertEqual(training.map(\.lastPathComponent).map(PathBytes.bytes(of:)), [Array("caf".utf8) + [0xE9] + Array(".png".utf8)])

        // The dataset folder named itself, as `reclip DIR` and `reclip eval --dataset DIR` get it.
        let world = latin1("w", "rld")
        let named = try ImageCollection(paths: [world])
        XCTAssertEqual(named.entries.map(\.name), ["scene-1.png", "scene-2.png", "scene-3.png"])
        XCTAssertEqual(named.classes, ["background", "sky", "grass", "cat", "ball"])
        let data = try VOCDataset(root: URL(fileURLWithPath: world))
        XCTAssertEqual(try data.sample("scene-1").labels.count, try ImageFile.read(path: named.entries[0].url.path).width
                       * (try ImageFile.read(path: named.entries[0].url.path).height))
    }

    func testAMissingLatin1NameIsReportedEscaped() {
        let base = temp.path
        XCTAssertThrowsError(try ImageCollection(paths: [latin1("gone", ".png")])) {
            XCTAssertEqual("\($0)", base + #"/gone\xE9.png: no such file or folder"#)
        }
        XCTAssertThrowsError(try VOCDataset(root: URL(fileURLWithPath: latin1("gone", "")))) {
            XCTAssertEqual("\($0)", base + #"/gone\xE9: no such dataset folder"#)
        }
    }
}
