import Pixels
import Foundation
@testable import Render

/// Paths of the committed render fixtures (made by scripts/fixtures/make_render_fixtures.py).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/render").standardized

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The 8x6 pattern every PNG fixture holds: (30x, 40y, 15(x+y)).
    static func pattern(x: Int, y: Int) -> RGB { RGB(UInt8(30 * x), UInt8(40 * y), UInt8(15 * (x + y))) }

    /// Alpha of the RGBA/grey+alpha fixtures: transparent where (x + y) % 3 == 0.
    static func opaque(x: Int, y: Int) -> Bool { (x + y) % 3 != 0 }

    /// A temporary directory for one test.
    static func temporaryDirectory() -> String {
        let dir = NSTemporaryDirectory() + "render-tests-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
