import XCTest
import TestSupport
@testable import Datasets

final class VOCLayoutTests: XCTestCase {
    func testSplitListSkipsBlankLinesAndMissingListIsAnError() throws {
        let root = try scratchFolder("voc", create: false)
        let layout = VOCLayout(root: root)
        try FileManager.default.createDirectory(at: layout.splitFile("val").deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try "a\n\n b \nc\n".write(to: layout.splitFile("val"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try layout.imageIDs(split: "val"), ["a", "b", "c"])
        XCTAssertThrowsError(try layout.imageIDs(split: "train")) { error in
            XCTAssertTrue("\(error)".contains("train.txt"))
        }
        try? FileManager.default.removeItem(at: root)
    }
}

/// The bundled model is found beside the installation only: a `models/world/` in the current
/// directory (an untrusted dataset folder, say) is never loaded.
final class BundledModelLocationTests: XCTestCase {
    func testModelsInTheCurrentDirectoryAreIgnored() throws {
        let root = try scratchFolder("bundled", create: false)
        let planted = root.appendingPathComponent("cwd/models/world")
        try FileManager.default.createDirectory(at: planted, withIntermediateDirectories: true)
        for name in ["mini-clip.safetensors", "rectifier-reclip.safetensors", "rectifier-reclip++.safetensors"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: planted.appendingPathComponent(name).path, contents: Data()))
        }
        let cwd = root.appendingPathComponent("cwd").path
        XCTAssertNil(BundledFolder.locate("models/world", executable: "/nonexistent/bin/reclip", searchCurrentDirectory: false,
                                          currentDirectory: cwd))
        XCTAssertNotNil(BundledFolder.locate("models/world", executable: "/nonexistent/bin/reclip", currentDirectory: cwd),
                        "data folders may still come from the current directory")
        let installed = root.appendingPathComponent("install")
        try FileManager.default.createDirectory(at: installed.appendingPathComponent("models/world"), withIntermediateDirectories: true)
        for name in ["mini-clip.safetensors", "rectifier-reclip.safetensors", "rectifier-reclip++.safetensors"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: installed.appendingPathComponent("models/world/" + name).path, contents: Data()))
        }
        let model = try BundledModel.locate(executable: installed.appendingPathComponent("bin/reclip").path)
        XCTAssertEqual(model.folder.standardizedFileURL.path, installed.appendingPathComponent("models/world").standardizedFileURL.path)
        XCTAssertTrue(BundledFolder.currentExecutable.hasPrefix("/"), BundledFolder.currentExecutable)
    }
}
