import Pixels
import Foundation
import XCTest
import TestSupport
import GraphicsTestSupport
@testable import Render

final class KittyGraphicsEncoderTests: XCTestCase {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    func testOnePixelExactBytes() throws {
        let image = RGBImage(width: 1, height: 1, fill: RGB(255, 0, 0))
        let bytes = try KittyGraphicsEncoder().display(image, placement: KittyPlacement(imageID: 7, placementID: 1, columns: 2, rows: 1))
        XCTAssertEqual(text(bytes), "\u{1B}_Ga=T,f=24,s=1,v=1,i=7,p=1,c=2,r=1,C=1,q=2;/wAA\u{1B}\\")
        let loud = KittyGraphicsEncoder(quiet: false, movesCursor: true)
        XCTAssertEqual(text(try loud.display(image, placement: KittyPlacement(imageID: 9))),
                       "\u{1B}_Ga=T,f=24,s=1,v=1,i=9;/wAA\u{1B}\\")
    }

    func testChunksOfAtMost4096() throws {
        // 40x40 RGB: 4800 bytes, 6400 base64 bytes: a chunk of 4096 then one of 2304.
        var rng = SeededGenerator(seed: 40)
        let image = RGBImage.random(width: 40, height: 40, colors: nil, using: &rng)
        let bytes = try KittyGraphicsEncoder().display(image, placement: KittyPlacement(imageID: 3, placementID: 2, columns: 20, rows: 10))
        let commands = try KittyDecoder.commands(bytes)
        XCTAssertEqual(commands.count, 2)
        XCTAssertEqual(commands[0].keys.map { "\($0.0)=\($0.1)" }.joined(separator: ","),
                       "a=T,f=24,s=40,v=40,i=3,p=2,c=20,r=10,C=1,q=2,m=1")
        XCTAssertEqual(commands[1].keys.map { "\($0.0)=\($0.1)" }.joined(separator: ","), "m=0,q=2")
        let decoded = try KittyDecoder.decode(bytes)
        XCTAssertEqual(decoded.chunkSizes, [4096, 2304])
        XCTAssertEqual(decoded.image, image)
    }

    func testChunkBoundaries() throws {
        // 1024 pixels = 3072 bytes = exactly 4096 base64: one escape; 1025 pixels: 4096 + 4.
        let exact = try KittyDecoder.decode(try KittyGraphicsEncoder().display(RGBImage(width: 32, height: 32), placement: KittyPlacement(imageID: 1)))
        XCTAssertEqual(exact.chunkSizes, [4096])
        let over = try KittyDecoder.decode(try KittyGraphicsEncoder().display(RGBImage(width: 1025, height: 1), placement: KittyPlacement(imageID: 1)))
        XCTAssertEqual(over.chunkSizes, [4096, 4])
        let small = try KittyDecoder.decode(try KittyGraphicsEncoder(chunkSize: 8).display(RGBImage(width: 3, height: 1), placement: KittyPlacement(imageID: 1)))
        XCTAssertEqual(small.chunkSizes, [8, 4])
    }

    /// Random images, both formats, with and without tmux: the payload reassembles to the
    /// input pixels exactly.
    func testRoundTripProperty() throws {
        var rng = SeededGenerator(seed: 24)
        for trial in 0..<40 {
            let w = Int.random(in: 1...70, using: &rng), h = Int.random(in: 1...50, using: &rng)
            let image = RGBImage.random(width: w, height: h, colors: trial % 3 == 0 ? 5 : nil, using: &rng)
            let format: KittyGraphicsEncoder.Format = trial % 2 == 0 ? .rgb : .png
            let tmux = trial % 4 >= 2
            let chunk = [4096, 4096, 512, 100][trial % 4]
            let encoder = KittyGraphicsEncoder(format: format, tmuxPassthrough: tmux, chunkSize: chunk, fastPNG: trial % 3 == 1)
            let id = UInt32.random(in: 1...UInt32.max, using: &rng)
            var bytes = try encoder.display(image, placement: KittyPlacement(imageID: id, placementID: 5))
            if tmux { bytes = try unwrapTmux(bytes) }
            let decoded = try KittyDecoder.decode(bytes)
            XCTAssertEqual(decoded.image, image, "trial \(trial): \(w)x\(h) \(format)")
            XCTAssertEqual(decoded.keys["i"], String(id))
            XCTAssertEqual(decoded.keys["f"], format == .rgb ? "24" : "100")
            XCTAssertTrue(decoded.chunkSizes.allSatisfy { $0 <= chunk })
            if format == .png { XCTAssertEqual(try PNGCodec.decode(decoded.data, name: "payload"), image) }
        }
    }

    func testTmuxWrapsEachEscapeAndDoublesEscapes() throws {
        let image = RGBImage(width: 30, height: 30, fill: RGB(1, 2, 3))   // 2700 bytes, 3600 base64: 1 escape
        let plain = try KittyGraphicsEncoder(chunkSize: 1024).display(image, placement: KittyPlacement(imageID: 4))
        let wrapped = try KittyGraphicsEncoder(tmuxPassthrough: true, chunkSize: 1024).display(image, placement: KittyPlacement(imageID: 4))
        XCTAssertEqual(try unwrapTmux(wrapped), plain)
        XCTAssertEqual(text(wrapped).components(separatedBy: "\u{1B}Ptmux;").count - 1, 4, "one wrapper per chunk")
        XCTAssertTrue(text(wrapped).hasPrefix("\u{1B}Ptmux;\u{1B}\u{1B}_Ga=T,"))
        XCTAssertEqual(TmuxPassthrough.wrap(Array("\u{1B}_Gi=1\u{1B}\\".utf8)), Array("\u{1B}Ptmux;\u{1B}\u{1B}_Gi=1\u{1B}\u{1B}\\\u{1B}\\".utf8))
    }

    func testDeleteCommands() throws {
        let kitty = KittyGraphicsEncoder()
        XCTAssertEqual(text(try kitty.delete(imageID: 7)), "\u{1B}_Ga=d,d=i,i=7,q=2\u{1B}\\")
        XCTAssertEqual(text(try kitty.delete(imageID: 7, placementID: 2, freeData: true)), "\u{1B}_Ga=d,d=I,i=7,p=2,q=2\u{1B}\\")
        XCTAssertEqual(try unwrapTmux(try KittyGraphicsEncoder(tmuxPassthrough: true).delete(imageID: 7)), try kitty.delete(imageID: 7))
        XCTAssertThrowsError(try kitty.delete(imageID: 0))
    }

    func testPlaceholderTransmissionMakesAVirtualPlacement() throws {
        let image = RGBImage(width: 4, height: 2, fill: RGB(9, 9, 9))
        let bytes = try KittyGraphicsEncoder().transmitForPlaceholders(image, placement: KittyPlacement(imageID: 42, columns: 2, rows: 1))
        let decoded = try KittyDecoder.decode(bytes)
        XCTAssertEqual(decoded.keys, ["a": "T", "f": "24", "s": "4", "v": "2", "i": "42", "c": "2", "r": "1", "U": "1", "C": "1", "q": "2"])
        XCTAssertEqual(decoded.image, image)
        XCTAssertThrowsError(try KittyGraphicsEncoder().transmitForPlaceholders(image, placement: KittyPlacement(imageID: 42, columns: 2))) { error in
            XCTAssertEqual("\(error)", "kitty image: a placeholder placement needs both columns and rows")
        }
        XCTAssertThrowsError(try KittyGraphicsEncoder().transmitForPlaceholders(image, placement: KittyPlacement(imageID: 42, columns: 298, rows: 1))) { error in
            XCTAssertEqual("\(error)", "kitty image: a placeholder grid is 1 to 297 cells each way, not 298x1")
        }
    }

    /// The two examples of kitty's documentation, byte for byte.
    func testPlaceholderTextMatchesTheSpecification() throws {
        let cells = try KittyPlaceholder(imageID: 42, columns: 2, rows: 2, indexedColor: true)
        XCTAssertEqual(text(cells.line(0)), "\u{1B}[38;5;42m\u{10EEEE}\u{0305}\u{0305}\u{10EEEE}\u{0305}\u{030D}\u{1B}[39m")
        XCTAssertEqual(text(cells.line(1)), "\u{1B}[38;5;42m\u{10EEEE}\u{030D}\u{0305}\u{10EEEE}\u{030D}\u{030D}\u{1B}[39m")
        let big = try KittyPlaceholder(imageID: 33_554_474, columns: 2, rows: 2, indexedColor: true)   // 42 + (2 << 24)
        XCTAssertEqual(big.text(row: 0), "\u{10EEEE}\u{0305}\u{0305}\u{030E}\u{10EEEE}\u{0305}\u{030D}\u{030E}")
        XCTAssertEqual(big.text(row: 1), "\u{10EEEE}\u{030D}\u{0305}\u{030E}\u{10EEEE}\u{030D}\u{030D}\u{030E}")
        XCTAssertEqual(big.foreground, .indexed(42))
        XCTAssertEqual(big.lines.count, 2)
    }

    func testPlaceholderColours() throws {
        let true24 = try KittyPlaceholder(imageID: 0x123456, placementID: 0x0A0B0C, columns: 1, rows: 1)
        XCTAssertEqual(true24.foreground, .rgb(RGB(0x12, 0x34, 0x56)))
        XCTAssertEqual(true24.underline, RGB(10, 11, 12))
        XCTAssertEqual(text(true24.line(0)), "\u{1B}[38;2;18;52;86;58;2;10;11;12m\u{10EEEE}\u{0305}\u{0305}\u{1B}[39m\u{1B}[59m")
        // Ids below 8 still use 38;5;n, never the 30-37 system colour codes.
        XCTAssertTrue(text(try KittyPlaceholder(imageID: 3, columns: 1, rows: 1, indexedColor: true).line(0)).hasPrefix("\u{1B}[38;5;3m"))
        XCTAssertThrowsError(try KittyPlaceholder(imageID: 300, columns: 1, rows: 1, indexedColor: true))
        XCTAssertThrowsError(try KittyPlaceholder(imageID: 0, columns: 1, rows: 1))
        XCTAssertThrowsError(try KittyPlaceholder(imageID: 1, columns: 0, rows: 1))
        let wide = try KittyPlaceholder(imageID: 1, columns: 297, rows: 297)
        XCTAssertEqual(wide.text(row: 296).unicodeScalars.count, 297 * 3)
    }

    func testDiacriticsTable() {
        let marks = KittyDiacritics.codePoints
        XCTAssertEqual(marks.count, 297)
        XCTAssertEqual(Array(marks.prefix(3)), [0x0305, 0x030D, 0x030E])
        XCTAssertEqual(marks.last, 0x1D244)
        XCTAssertEqual(Set(marks).count, marks.count)
        XCTAssertEqual(marks, marks.sorted())
        for m in marks {
            let props = Unicode.Scalar(m)!.properties
            XCTAssertEqual(props.generalCategory, .nonspacingMark, String(m, radix: 16))
            XCTAssertEqual(props.canonicalCombiningClass, .above, String(m, radix: 16))
        }
    }

    func testInvalidInputsThrowNamingTheLimit() {
        let kitty = KittyGraphicsEncoder()
        XCTAssertThrowsError(try kitty.display(RGBImage(width: 3, height: 0), placement: KittyPlacement(imageID: 1))) { error in
            XCTAssertEqual("\(error)", "kitty image: a kitty image needs at least 1x1 pixels, not 3x0")
        }
        XCTAssertThrowsError(try kitty.display(RGBImage(width: 10_001, height: 1), placement: KittyPlacement(imageID: 1))) { error in
            XCTAssertEqual("\(error)", "kitty image: image is 10001x1 pixels, over kitty's limit of 10000 pixels a side")
        }
        XCTAssertThrowsError(try KittyGraphicsEncoder(maxPixels: 50).display(RGBImage(width: 8, height: 7), placement: KittyPlacement(imageID: 1))) { error in
            XCTAssertEqual((error as? RenderError)?.problem, .tooLarge(width: 8, height: 7, limit: 50))
        }
        XCTAssertThrowsError(try kitty.display(RGBImage(width: 1, height: 1), placement: KittyPlacement(imageID: 0))) { error in
            XCTAssertEqual("\(error)", "kitty image: a kitty image id is 1 to 4294967295, not 0")
        }
        XCTAssertThrowsError(try kitty.display(RGBImage(width: 1, height: 1), placement: KittyPlacement(imageID: 1, placementID: 0)))
        XCTAssertThrowsError(try kitty.display(RGBImage(width: 1, height: 1), placement: KittyPlacement(imageID: 1, rows: 0)))
        for chunk in [0, 6, 4100] {
            XCTAssertThrowsError(try KittyGraphicsEncoder(chunkSize: chunk).display(RGBImage(width: 1, height: 1), placement: KittyPlacement(imageID: 1)))
        }
    }

    func testBase64MatchesFoundation() throws {
        var rng = SeededGenerator(seed: 64)
        for n in 0..<50 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            XCTAssertEqual(String(decoding: Base64.encode(bytes), as: UTF8.self), Data(bytes).base64EncodedString())
            XCTAssertEqual(Base64.encodedCount(n), Base64.encode(bytes).count)
        }
    }
}
