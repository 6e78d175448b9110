import Pixels
import Foundation
import XCTest
import TestSupport
import GraphicsTestSupport
@testable import Render

final class ITermImageEncoderTests: XCTestCase {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    func testSingleEscapeExactForm() throws {
        let image = RGBImage(width: 3, height: 2, colors: (0..<6).map { RGB(UInt8(40 * $0), 7, 200) })
        let png = try PNGCodec.encode(image, fast: true)
        let bytes = try ITermImageEncoder(width: .cells(40), height: .cells(20)).encode(image)
        XCTAssertEqual(try ITermDecoder.decode(try ITermImageEncoder(fastPNG: false).encode(image)).file, try PNGCodec.encode(image))
        let expected = "\u{1B}]1337;File=inline=1;size=\(png.count);width=40;height=20;preserveAspectRatio=0:"
            + Data(png).base64EncodedString() + "\u{07}"
        XCTAssertEqual(text(bytes), expected)
        let decoded = try ITermDecoder.decode(bytes)
        XCTAssertEqual(decoded.image, image)
        XCTAssertEqual(decoded.arguments["preserveAspectRatio"], "0")
    }

    func testSizesTerminatorsAndTmux() throws {
        let image = RGBImage(width: 5, height: 4, fill: RGB(10, 20, 30))
        let st = try ITermImageEncoder(width: .pixels(100), height: .percent(50), preserveAspectRatio: true, terminator: .st).encode(image)
        XCTAssertTrue(text(st).hasSuffix("\u{1B}\\"))
        let decoded = try ITermDecoder.decode(st)
        XCTAssertEqual(decoded.arguments["width"], "100px")
        XCTAssertEqual(decoded.arguments["height"], "50%")
        XCTAssertEqual(decoded.arguments["preserveAspectRatio"], "1")
        XCTAssertEqual(decoded.image, image)
        XCTAssertEqual(try ITermDecoder.decode(try ITermImageEncoder().encode(image)).arguments["width"], "auto")
        let wrapped = try ITermImageEncoder(terminator: .st, tmuxPassthrough: true).encode(image)
        XCTAssertEqual(try unwrapTmux(wrapped), try ITermImageEncoder(terminator: .st).encode(image))
    }

    func testMultipartTransfer() throws {
        var rng = SeededGenerator(seed: 77)
        let image = RGBImage.random(width: 30, height: 20, colors: nil, using: &rng)
        let bytes = try ITermImageEncoder(width: .cells(10), height: .cells(5), transfer: .multipart(partSize: 1024)).encode(image)
        XCTAssertTrue(text(bytes).hasPrefix("\u{1B}]1337;MultipartFile=inline=1;size="))
        XCTAssertTrue(text(bytes).hasSuffix("\u{1B}]1337;FileEnd\u{07}"))
        let decoded = try ITermDecoder.decode(bytes)
        XCTAssertEqual(decoded.image, image)
        XCTAssertEqual(decoded.parts, (Base64.encodedCount(decoded.file.count) + 1023) / 1024)
        XCTAssertThrowsError(try ITermImageEncoder(transfer: .multipart(partSize: 1001)).encode(image))
    }

    /// Automatic transfer: one escape while it fits iTerm2's 1 MiB, parts beyond.
    func testAutomaticTransferKeepsEscapesUnderOneMebibyte() throws {
        var rng = SeededGenerator(seed: 5)
        let small = RGBImage.random(width: 64, height: 64, colors: nil, using: &rng)
        XCTAssertEqual(try ITermDecoder.decode(try ITermImageEncoder().encode(small)).parts, 1)
        XCTAssertTrue(text(try ITermImageEncoder().encode(small)).hasPrefix("\u{1B}]1337;File="))
        let noisy = RGBImage.random(width: 600, height: 500, colors: nil, using: &rng)   // ~900 kB PNG, ~1.2 MB base64
        let decoded = try ITermDecoder.decode(try ITermImageEncoder().encode(noisy))
        XCTAssertGreaterThan(decoded.parts, 1)
        XCTAssertLessThanOrEqual(decoded.longestEscape, ITermImageEncoder.maxEscapeBytes)
        XCTAssertEqual(decoded.image, noisy)
    }

    func testRoundTripProperty() throws {
        var rng = SeededGenerator(seed: 1337_2)
        for trial in 0..<25 {
            let w = Int.random(in: 1...40, using: &rng), h = Int.random(in: 1...40, using: &rng)
            let image = RGBImage.random(width: w, height: h, colors: trial % 2 == 0 ? 3 : nil, using: &rng)
            let encoder = ITermImageEncoder(width: .cells(Int.random(in: 1...80, using: &rng)), height: .auto,
                                            terminator: trial % 3 == 0 ? .st : .bel,
                                            transfer: trial % 4 == 0 ? .multipart(partSize: 256) : .automatic,
                                            fastPNG: trial % 5 != 0)
            XCTAssertEqual(try ITermDecoder.decode(try encoder.encode(image)).image, image, "trial \(trial): \(w)x\(h)")
        }
    }

    func testInvalidInputsThrowNamingTheLimit() {
        XCTAssertThrowsError(try ITermImageEncoder().encode(RGBImage(width: 0, height: 0))) { error in
            XCTAssertEqual("\(error)", "iTerm image: an iTerm image needs at least 1x1 pixels, not 0x0")
        }
        XCTAssertThrowsError(try ITermImageEncoder(maxPixels: 10).encode(RGBImage(width: 4, height: 3))) { error in
            XCTAssertEqual((error as? RenderError)?.problem, .tooLarge(width: 4, height: 3, limit: 10))
        }
        XCTAssertThrowsError(try ITermImageEncoder(width: .cells(0)).encode(RGBImage(width: 1, height: 1))) { error in
            XCTAssertEqual("\(error)", "iTerm image: an iTerm image width is 1 to 100000, not 0")
        }
        XCTAssertThrowsError(try ITermImageEncoder().encode(png: []))
    }
}
