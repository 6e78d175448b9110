import XCTest
@testable import Datasets

final class VOCLayoutTests: XCTestCase {
    func testSplitListSkipsBlankLinesAndMissingListIsAnError() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("voc-\(UUID())")
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
