import XCTest
@testable import Render

/// Damaged files must give a `RenderError` or an image, never a crash or a hang.
final class HostileFileTests: XCTestCase {
    func testMutatedFilesNeverCrash() throws {
        var state: UInt64 = 0x2545F4914F6CDD1D
        func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
        var decoded = 0, refused = 0
        for name in ["rgb8.png", "interlaced16.png", "palette4.png", "baseline.jpg", "progressive.jpg", "cmyk.jpg", "orient6.jpg"] {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))))
            for round in 0..<40 {
                var bytes = original
                switch round % 4 {
                case 0:  // flip a few bytes anywhere after the signature
                    for _ in 0..<(1 + next(4)) { bytes[4 + next(bytes.count - 4)] ^= UInt8(1 + next(255)) }
                case 1:  // cut short
                    bytes = Array(bytes[0..<(4 + next(bytes.count - 4))])
                case 2:  // overwrite a run with 0xFF
                    let start = 4 + next(bytes.count - 8)
                    for i in start..<min(bytes.count, start + 1 + next(16)) { bytes[i] = 0xFF }
                default:  // zero a run
                    let start = 4 + next(bytes.count - 8)
                    for i in start..<min(bytes.count, start + 1 + next(16)) { bytes[i] = 0 }
                }
                do {
                    let image = try ImageFile.decode(bytes, name: name, maxPixels: 1_000_000)
                    XCTAssertEqual(image.pixels.count, image.width * image.height * 3)
                    decoded += 1
                } catch let error as RenderError {
                    XCTAssertEqual(error.file, name)
                    XCTAssertFalse(error.description.contains("\n"))
                    refused += 1
                }
                if name.hasSuffix(".png") {
                    do {
                        let indexed = try PNGCodec.decodeIndexed(bytes, name: name, maxPixels: 1_000_000)
                        XCTAssertEqual(indexed.indices.count, indexed.width * indexed.height)
                    } catch is RenderError {}
                }
            }
        }
        XCTAssertEqual(decoded + refused, 280)
        XCTAssertGreaterThan(refused, 50)
    }

    /// A progressive JPEG of 310 scans (its last scan repeated) is refused at scan 101, in
    /// milliseconds, with the bound named; the same file with 30 scans decodes.
    func testProgressiveJPEGScansAreBounded() throws {
        let path = Fixtures.path("many-scans.jpg")
        let start = Date()
        XCTAssertThrowsError(try ImageFile.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("more than 100 scans"), "\(error)")
            XCTAssertTrue("\(error)".contains("-maxscans"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        // Keep the first 30 scans: cut at the 31st start-of-scan marker and end the image.
        var sos = 0, cut = bytes.count
        for i in 0..<(bytes.count - 1) where bytes[i] == 0xFF && bytes[i + 1] == 0xDA {
            sos += 1
            if sos == 31 { cut = i; break }
        }
        bytes = Array(bytes[..<cut]) + [0xFF, 0xD9]
        let image = try JPEGCodec.decode(bytes, name: "30 scans")
        XCTAssertEqual(image.width, 64)
        XCTAssertEqual(image.height, 48)
    }
}
