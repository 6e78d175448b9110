import Foundation
import XCTest

extension XCTestCase {
    /// A new folder `prefix-UUID` under the system's temporary directory, removed with
    /// everything in it when the current test ends, whether it passed or failed. With
    /// `create: false` only the path is chosen (for code under test that must create it).
    public func scratchFolder(_ prefix: String, create: Bool = true) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        if create { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
