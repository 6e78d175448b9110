import Foundation
import Math
import XCTest
import TestSupport
@testable import FileIO
@testable import ModelFiles
@testable import ModelStore

/// Reads checkpoints written by torch.save (scripts/fixtures/make_pth_fixtures.py) and
/// compares every element with the values PyTorch recorded.
final class TorchCheckpointTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/pth").standardized

    struct Expected: Decodable {
        let shape: [Int]
        let bits: [Int32]
        var tensor: Tensor { Tensor(shape: shape, data: bits.map { Float(bitPattern: UInt32(bitPattern: $0)) }) }
    }

    func expected() throws -> [String: Expected] {
        try JSONDecoder().decode([String: Expected].self,
                                 from: Data(contentsOf: Self.fixtures.appendingPathComponent("expected.json")))
    }

    func load(_ file: String) throws -> TorchCheckpoint {
        try TorchCheckpoint(contentsOf: Self.fixtures.appendingPathComponent(file))
    }

    /// Bit-for-bit equality (NaN-free data; -0 and +0 told apart).
    func assertIdentical(_ a: Tensor?, _ b: Tensor, _ key: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let a else { return XCTFail("missing tensor \(key)", file: file, line: line) }
        XCTAssertEqual(a.shape, b.shape, key, file: file, line: line)
        XCTAssertEqual(a.data.map(\.bitPattern), b.data.map(\.bitPattern), key, file: file, line: line)
    }

    func testStateDictMatchesPyTorch() throws {
        let expected = try expected()
        for file in ["reclip_like.pth", "deflated.pth"] {
            let checkpoint = try load(file)
            XCTAssertEqual(Set(checkpoint.tensors.keys), Set(expected.keys), file)
            XCTAssertEqual(checkpoint.location, [], file)
            for (key, value) in expected { assertIdentical(checkpoint.tensors[key], value.tensor, "\(file): \(key)") }
        }
        let checkpoint = try load("reclip_like.pth")
        XCTAssertEqual(checkpoint.keys.first, "module.text_encoder.prompt_token")
        XCTAssertEqual(checkpoint.tensors["module.text_encoder.prompt_token"]?.shape, [1, 73, 8])
        XCTAssertEqual(checkpoint.tensors["module.logit_scale"]?.shape, [])
        XCTAssertEqual(checkpoint.tensors["module.empty"]?.shape, [0, 3])
        let stripped = checkpoint.strippingPrefix("module.")
        assertIdentical(stripped["proj_net.0.bias"], try XCTUnwrap(expected["module.proj_net.0.bias"]).tensor, "stripped")
    }

    func testNestedCheckpointFindsStateDict() throws {
        let expected = try expected()
        let checkpoint = try load("nested.pth")
        XCTAssertEqual(checkpoint.location, ["state_dict"])
        XCTAssertEqual(checkpoint.tensors.count, expected.count)
        for (key, value) in expected { assertIdentical(checkpoint.tensors[key], value.tensor, key) }

        let parameter = try load("parameter.pth")
        XCTAssertEqual(parameter.location, ["model"])
        assertIdentical(parameter.tensors["weight"], try XCTUnwrap(expected["module.proj_net.0.weight"]).tensor, "parameter")
    }

    func testSingleTensorAndList() throws {
        let expected = try expected()
        let single = try load("single_tensor.pth")
        XCTAssertEqual(single.keys, [""])
        assertIdentical(single.tensors[""], try XCTUnwrap(expected["module.proj_net.2.weight"]).tensor, "single")
        let list = try load("tensor_list.pth")
        XCTAssertEqual(list.keys, ["0", "1"])
        assertIdentical(list.tensors["0"], try XCTUnwrap(expected["module.proj_net.0.bias"]).tensor, "list 0")
        assertIdentical(list.tensors["1"], try XCTUnwrap(expected["module.half"]).tensor, "list 1")
    }

    func testHalfConversionIsExact() {
        // Every finite binary16 value against Float16's own conversion.
        #if arch(x86_64) || arch(arm64)
        for bits in UInt16.min...UInt16.max {
            let exponent = (bits >> 10) & 0x1F
            let ours = TorchCheckpoint.halfToFloat(bits)
            if exponent == 31 {
                XCTAssertTrue(bits & 0x3FF == 0 ? ours.isInfinite : ours.isNaN, "0x\(String(bits, radix: 16))")
            } else {
                var reference: Float = 0
                // Value = (-1)^s * 2^(e-15) * (1 + m/1024), or 2^-14 * m/1024 when e = 0.
                let m = Float(bits & 0x3FF)
                reference = exponent == 0 ? m * powf(2, -24) : (1 + m / 1024) * powf(2, Float(Int(exponent) - 15))
                if bits & 0x8000 != 0 { reference = -reference }
                XCTAssertEqual(ours.bitPattern, reference.bitPattern, "0x\(String(bits, radix: 16))")
            }
        }
        #endif
    }

    func testCorruptFilesGiveCleanErrors() throws {
        let cases: [(String, String)] = [
            ("bad_truncated.pth", "truncated zip archive"),
            ("bad_not_zip.pth", "not a zip archive"),
            ("bad_legacy.pth", "before PyTorch 1.6"),
            ("bad_missing_storage.pth", "is missing from the archive"),
            ("bad_short_storage.pth", "storage holds 100 bytes"),
            ("bad_opcode.pth", "unsupported pickle opcode 0x8F (EMPTY_SET)"),
            ("bad_pickle_cut.pth", "truncated pickle"),
            ("does_not_exist.pth", "cannot read"),
        ]
        for (file, fragment) in cases {
            XCTAssertThrowsError(try load(file), file) { error in
                let message = "\(error)"
                XCTAssertTrue(error is TorchCheckpointError, "\(file): \(type(of: error))")
                XCTAssertTrue(message.contains(file), "\(file): message does not name the file: \(message)")
                XCTAssertTrue(message.contains(fragment), "\(file): '\(message)' lacks '\(fragment)'")
                XCTAssertFalse(message.contains("\n"), "\(file): message spans lines")
            }
        }
    }

    /// Hostile nesting is refused before it can exhaust the stack when released.
    func testDeepNestingIsRefused() {
        let deepTuples: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]
        // L1 = []; L2 = []; L1.append(L2); then L2 grows after being placed inside L1.
        let growAfterSealing: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x5D, 0x71, 0x01, 0x61, 0x68, 0x01, 0x5D, 0x61, 0x30, 0x2E]
        // L = []; L.append(L), and D = {}; D[1] = D: reference cycles ARC would never free
        // (LeakSanitizer's finding in a fuzzed .pth, Fuzz/corpus/pth/self-append-leak.pth).
        let selfAppend: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]
        let selfItem: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x4B, 0x01, 0x68, 0x00, 0x73, 0x2E]
        let cases: [([UInt8], String)] = [
            (deepTuples, "nest deeper than 100 levels"),
            (growAfterSealing, "grows after being placed"),
            (selfAppend, "placed inside itself"),
            (selfItem, "placed inside itself"),
        ]
        for (bytes, fragment) in cases {
            XCTAssertThrowsError(try Unpickler(bytes: bytes, name: "hostile.pkl").load()) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
            }
        }
        // Nesting within the limit still loads: 99 tuples around an empty one.
        let fine: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 99) + [0x2E]
        XCTAssertNoThrow(try Unpickler(bytes: fine, name: "fine.pkl").load())
    }

    /// The fuzzed checkpoint whose pickle appended a list to itself (it leaked under ASan's
    /// leak check) is refused with one line naming the file.
    func testTheFuzzedSelfAppendingCheckpointIsRefused() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/corpus/pth/self-append-leak.pth").standardized
        XCTAssertThrowsError(try TorchCheckpoint(data: Data(contentsOf: url), name: "self-append-leak.pth")) { error in
            XCTAssertTrue("\(error)".hasPrefix("self-append-leak.pth: "), "\(error)")
            XCTAssertTrue("\(error)".contains("placed inside itself"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }

    /// Cutting a valid checkpoint anywhere never crashes or hangs: it fails with an error.
    func testEveryTruncationFailsCleanly() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("reclip_like.pth"))
        for cut in stride(from: 0, to: data.count, by: 37) {
            XCTAssertThrowsError(try TorchCheckpoint(data: data.prefix(cut), name: "cut-\(cut)"))
        }
        // Flipping bytes inside the pickle either still parses or fails cleanly.
        let zip = try ZipArchive(data: data, name: "x")
        let pkl = try XCTUnwrap(zip.member(endingWith: "data.pkl"))
        var flipped = 0
        for offset in stride(from: pkl.localHeaderOffset + 100, to: pkl.localHeaderOffset + 100 + pkl.size, by: 5) {
            var copy = data
            copy[offset] ^= 0x5A
            if (try? TorchCheckpoint(data: copy, name: "flip")) == nil { flipped += 1 }
        }
        XCTAssertGreaterThan(flipped, 0)
    }

    // MARK: Hostile views, built by hand (TorchFixtureWriter)

    /// Reading `writer`'s archive fails with `message` after the file name, in one line.
    func assertRefused(_ writer: TorchFixtureWriter, maximumBytes: Int = TorchCheckpoint.maximumBytes, _ message: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TorchCheckpoint(data: writer.archive(), name: "hostile.pth", maximumBytes: maximumBytes),
                             file: file, line: line) { error in
            XCTAssertTrue(error is TorchCheckpointError, "\(type(of: error))", file: file, line: line)
            XCTAssertEqual("\(error)", "hostile.pth: \(message)", file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), file: file, line: line)
        }
    }

    func testHandBuiltCheckpointLoads() throws {
        var w = TorchFixtureWriter()
        w.storage("0", floats: [1, 2, 3, 4, 5, 6])
        w.view("w", storage: "0", count: 6, shape: [2, 3], strides: [3, 1])
        w.view("t", storage: "0", count: 6, shape: [3, 2], strides: [1, 3])
        w.view("tail", storage: "0", count: 6, offset: 4, shape: [2], strides: [1])
        w.view("repeat", storage: "0", count: 6, offset: 1, shape: [2, 3], strides: [0, 2])
        let checkpoint = try TorchCheckpoint(data: w.archive(), name: "hand.pth")
        XCTAssertEqual(checkpoint.keys, ["w", "t", "tail", "repeat"])
        assertClose(try XCTUnwrap(checkpoint.tensors["w"]), Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]), tolerance: 0, "w")
        assertClose(try XCTUnwrap(checkpoint.tensors["t"]), Tensor(shape: [3, 2], data: [1, 4, 2, 5, 3, 6]), tolerance: 0, "t")
        assertClose(try XCTUnwrap(checkpoint.tensors["tail"]), Tensor(shape: [2], data: [5, 6]), tolerance: 0, "tail")
        assertClose(try XCTUnwrap(checkpoint.tensors["repeat"]), Tensor(shape: [2, 3], data: [2, 4, 6, 2, 4, 6]), tolerance: 0, "repeat")
    }

    /// A second tensor naming an already-decoded storage with a larger element count read past it.
    func testStorageRedeclaredWithMoreElementsIsRefused() {
        var w = TorchFixtureWriter()
        w.storage("0", floats: [1, 2, 3, 4])
        w.view("a", storage: "0", count: 4, shape: [4], strides: [1])
        w.view("b", storage: "0", count: 1000, shape: [1000], strides: [1])
        assertRefused(w, "tensor 'b': storage 0 is declared as 1000 FloatStorage elements, but an earlier tensor declared it as 4 FloatStorage elements")
        var typed = TorchFixtureWriter()
        typed.storage("0", floats: [1, 2, 3, 4])
        typed.view("a", storage: "0", count: 4, shape: [4], strides: [1])
        typed.views.append(.init(key: "b", storage: "0", count: 4, type: "DoubleStorage", shape: [4], strides: [1]))
        assertRefused(typed, "tensor 'b': storage 0 is declared as 4 DoubleStorage elements, but an earlier tensor declared it as 4 FloatStorage elements")
    }

    /// Zero strides let a 16-byte storage ask for 16 GB; huge sizes or strides overflowed.
    func testViewsAreBoundedByTheirStorage() {
        func refused(shape: [Int], strides: [Int], offset: Int = 0, _ problem: String, line: UInt = #line) {
            var w = TorchFixtureWriter()
            w.storage("0", floats: [1, 2, 3, 4])
            w.view("v", storage: "0", count: 4, offset: offset, shape: shape, strides: strides)
            assertRefused(w, "tensor 'v': view of shape \(shape) (strides \(strides), offset \(offset)) \(problem)", line: line)
        }
        refused(shape: [65536, 65536], strides: [0, 0], "addresses 4294967296 elements, more than 16 times its storage's 4")
        refused(shape: [65], strides: [0], "addresses 65 elements, more than 16 times its storage's 4")
        refused(shape: [1 << 40, 1 << 40], strides: [0, 0], "has sizes whose product overflows")
        refused(shape: [1 << 40, 1 << 40, 0], strides: [0, 0, 0], "has sizes whose product overflows")
        refused(shape: [2], strides: [1], offset: 3, "reaches past its storage of 4 elements")
        refused(shape: [2], strides: [Int(Int64.max)], "reaches past its storage of 4 elements")
        refused(shape: [2, 2], strides: [3, 1], "reaches past its storage of 4 elements")
        // Up to 16 repeats of every element is accepted, and an empty view anywhere.
        var w = TorchFixtureWriter()
        w.storage("0", floats: [1, 2, 3, 4])
        w.view("v", storage: "0", count: 4, shape: [16, 4], strides: [0, 1])
        w.view("e", storage: "0", count: 4, offset: 99, shape: [0, 1 << 40], strides: [7, 7])
        XCTAssertNoThrow(try TorchCheckpoint(data: w.archive(), name: "fine.pth"))
    }

    /// Decoding stops at the stated limit, before allocating past it; a storage member of
    /// another size than its elements need is refused before it is read.
    func testDecodedDataIsLimited() {
        var w = TorchFixtureWriter()
        w.storage("0", floats: [Float](repeating: 1, count: 1000))
        w.storage("1", floats: [Float](repeating: 2, count: 1000))
        w.view("a", storage: "0", count: 1000, shape: [1000], strides: [1])
        w.view("b", storage: "1", count: 1000, shape: [1000], strides: [1])
        XCTAssertNoThrow(try TorchCheckpoint(data: w.archive(), name: "fits.pth", maximumBytes: 8000))
        assertRefused(w, maximumBytes: 6000, "tensor 'b': storage archive/data/1 needs 1000 more Float32 elements, past the limit of 6000 bytes of decoded tensor data per checkpoint")
        // A copied (strided) view counts too; one sharing its storage does not.
        w.view("c", storage: "0", count: 1000, shape: [500], strides: [2])
        assertRefused(w, maximumBytes: 8000, "tensor 'c' needs 500 more Float32 elements, past the limit of 8000 bytes of decoded tensor data per checkpoint")
        var short = TorchFixtureWriter()
        short.storage("0", bytes: [UInt8](repeating: 0, count: 8))
        short.view("a", storage: "0", count: 4, shape: [4], strides: [1])
        assertRefused(short, "archive/data/0: storage holds 8 bytes, 4 FloatStorage elements need 16")
        var long = TorchFixtureWriter()
        long.storage("0", bytes: [UInt8](repeating: 0, count: 20))
        long.view("a", storage: "0", count: 4, shape: [4], strides: [1])
        assertRefused(long, "archive/data/0: storage holds 20 bytes, 4 FloatStorage elements need 16")
    }

    /// Names from the file reach the terminal escaped.
    func testNamesFromTheFileAreEscaped() {
        var w = TorchFixtureWriter()
        w.storage("0", floats: [1, 2, 3, 4])
        w.view("evil\u{1B}]0;owned\u{07}", storage: "0", count: 4, offset: 3, shape: [2], strides: [1])
        assertRefused(w, "tensor 'evil\\x1B]0;owned\\x07': view of shape [2] (strides [1], offset 3) reaches past its storage of 4 elements")
        var storage = TorchFixtureWriter()
        storage.view("a", storage: "\u{1B}[2J", count: 4, shape: [4], strides: [1])
        assertRefused(storage, "storage archive/data/\\x1B[2J of tensor 'a' is missing from the archive")
    }
}
