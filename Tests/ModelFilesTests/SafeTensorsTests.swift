import Foundation
import XCTest
import TestSupport
import Math
@testable import FileIO
@testable import ModelFiles
@testable import ModelStore

final class SafeTensorsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try scratchFolder("safetensors-tests") }

    /// A file made of an 8-byte header length, `header`, then `data`.
    func craft(_ header: String, _ data: [UInt8], length: UInt64? = nil, name: String = "t.safetensors") -> String {
        let h = Array(header.utf8)
        var bytes = withUnsafeBytes(of: (length ?? UInt64(h.count)).littleEndian) { Array($0) }
        bytes += h + data
        let path = directory.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func assertError(_ path: String, contains fragment: String, tensor: String? = nil,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(path: path), file: file, line: line) { error in
            guard let e = error as? SafeTensorsError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(e.file, path, file: file, line: line)
            XCTAssertEqual(e.tensor, tensor, file: file, line: line)
            XCTAssertTrue(e.description.contains(fragment), e.description, file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
        }
    }

    func testRoundTripKeepsValuesShapesAndMetadata() throws {
        let a = Tensor(shape: [2, 3], data: [1, -2, 3.5, 4, 5e-8, -6e7])
        let b = Tensor(shape: [3], data: [0.25, .infinity, -0])
        let empty = Tensor(shape: [0, 4], data: [])
        let path = directory.appendingPathComponent("round.safetensors").path
        try SafeTensorsWriter.write([("a", a), ("b", b), ("empty", empty)],
                                    metadata: ["vision_heads": "2", "note": "x \"quoted\""], to: path)
        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(try file.tensor("a"), a)
        XCTAssertEqual(try file.tensor("b"), b)
        XCTAssertEqual(try file.tensor("empty"), empty)
        XCTAssertEqual(file.metadata, ["vision_heads": "2", "note": "x \"quoted\""])
        XCTAssertEqual(file.names, ["a", "b", "empty"])
        // No temporary file is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["round.safetensors"])
    }

    func testF16AndBF16AreConvertedToF32() throws {
        let halves: [Float16] = [1.5, -0.099975586, 65504]
        var data = halves.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
        let brains: [Float] = [3.140625, -2.5e-3]
        data += brains.flatMap { withUnsafeBytes(of: UInt16($0.bitPattern >> 16).littleEndian) { Array($0) } }
        let path = craft(#"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[6,10]}}"#, data)
        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(try file.floats("h"), halves.map(Float.init))
        XCTAssertEqual(try file.floats("b"), brains.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) })
    }

    func testIntegerTensorsReadAsInt32() throws {
        let values: [Int64] = [49406, 320, 49407, 0]
        let data = values.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } }
        let path = craft(#"{"ids":{"dtype":"I64","shape":[1,4],"data_offsets":[0,32]}}"#, data)
        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(try file.int32s("ids"), [49406, 320, 49407, 0])
        XCTAssertThrowsError(try file.floats("ids")) { XCTAssertTrue("\($0)".contains("tensor 'ids': dtype I64 is not a float type")) }
    }

    func testTooShortFile() {
        assertError(craft("", []), contains: "header is not a JSON object")
        let path = directory.appendingPathComponent("tiny.safetensors").path
        FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))
        assertError(path, contains: "truncated: 3 bytes")
    }

    func testHeaderLengthPastEndOfFile() {
        assertError(craft("{}", [], length: 1000), contains: "header claims 1000 bytes")
    }

    func testHeaderThatIsNotJSON() {
        assertError(craft("{not json", []), contains: "header is not a JSON object")
        assertError(craft("[1,2]", []), contains: "header is not a JSON object")
    }

    func testTruncatedData() {
        let path = craft(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, [UInt8](repeating: 0, count: 10))
        assertError(path, contains: "run past the end of the data (10 bytes", tensor: "w")
    }

    func testHeaderLyingAboutSize() {
        let path = craft(#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}}"#, [UInt8](repeating: 0, count: 24))
        assertError(path, contains: "hold 12 bytes but F32 [2, 3] needs 24", tensor: "w")
    }

    func testOverlappingRanges() {
        let path = craft(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                         [UInt8](repeating: 0, count: 12))
        assertError(path, contains: "data overlaps tensor 'a'", tensor: "b")
    }

    func testShapeOverflow() {
        let path = craft(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8))
        assertError(path, contains: "overflows", tensor: "w")
    }

    func testMalformedEntries() {
        assertError(craft(#"{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]), contains: "unknown dtype Q4", tensor: "w")
        assertError(craft(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]), contains: "negative dimension", tensor: "w")
        assertError(craft(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, [0, 0, 0, 0]), contains: "not an increasing range", tensor: "w")
        assertError(craft(#"{"w":{"dtype":"F32","shape":[1]}}"#, [0, 0, 0, 0]), contains: "data_offsets must be two integers", tensor: "w")
        assertError(craft(#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]), contains: "missing dtype", tensor: "w")
        assertError(craft(#"{"w":3}"#, []), contains: "header entry is not an object", tensor: "w")
        assertError(craft(#"{"__metadata__":{"a":1}}"#, []), contains: "__metadata__ value 'a' is not a string")
    }

    /// A tensor named twice (also when spelled with an escape, or nested keys that repeat
    /// legitimately beside it) is refused instead of one of the two being kept silently.
    func testATensorNamedTwiceIsRefused() {
        let entry = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        let other = #"{"dtype":"F32","shape":[1],"data_offsets":[4,8]}"#
        assertError(craft(#"{"w":\#(entry),"w":\#(other)}"#, [UInt8](repeating: 0, count: 8)), contains: "w appears twice in the header", tensor: "w")
        assertError(craft(#"{"w":\#(entry),"\u0077":\#(other)}"#, [UInt8](repeating: 0, count: 8)), contains: "w appears twice", tensor: "w")
        assertError(craft(#"{"__metadata__":{},"w":\#(entry),"__metadata__":{"a":"b"}}"#, [0, 0, 0, 0]), contains: "__metadata__ appears twice")
        // The same key inside two entries, a key-like string in a value, and escaped quotes
        // are not repeats.
        let fine = craft(#"{"__metadata__":{"dtype":"w\",\"w","x":"{\"w\":1}"},"w":\#(entry),"v":\#(other)}"#, [UInt8](repeating: 0, count: 8))
        XCTAssertNoThrow(try SafeTensorsFile(path: fine))
        XCTAssertNil(SafeTensorsHeader.repeatedTopLevelKey(Data(#"{"a":[{"b":1},{"b":2}],"c":{"a":1}}"#.utf8)))
    }

    /// Values of the wrong JSON type get the entry's own message; integral numbers written as
    /// floats are integers; fields the format does not name are ignored; trailing spaces (the
    /// padding) are fine.
    func testHeaderValuesOfTheWrongJSONType() throws {
        let four: [UInt8] = [0, 0, 0, 0]
        func entry(_ fields: String) -> String { craft(#"{"w":{"#+fields+"}}", four) }
        assertError(entry(#""dtype":"F32","shape":[2.5],"data_offsets":[0,4]"#), contains: "shape [2.5] has a non-integer or negative dimension", tensor: "w")
        assertError(entry(#""dtype":"F32","shape":["1"],"data_offsets":[0,4]"#), contains: "has a non-integer or negative dimension", tensor: "w")
        assertError(entry(#""dtype":"F32","shape":[true],"data_offsets":[0,4]"#), contains: "has a non-integer or negative dimension", tensor: "w")
        assertError(entry(#""dtype":"F32","shape":2,"data_offsets":[0,4]"#), contains: "missing shape", tensor: "w")
        assertError(entry(#""dtype":5,"shape":[1],"data_offsets":[0,4]"#), contains: "missing dtype", tensor: "w")
        assertError(entry(#""dtype":"F32","shape":[1],"data_offsets":[0,4,8]"#), contains: "data_offsets must be two integers", tensor: "w")
        assertError(entry(#""dtype":"F32","shape":[1],"data_offsets":[0,4.5]"#), contains: "data_offsets must be two integers", tensor: "w")
        assertError(entry(#""dtype":"F32","shape":[1],"data_offsets":"0,4""#), contains: "data_offsets must be two integers", tensor: "w")
        assertError(craft(#"{"w":null}"#, []), contains: "header entry is not an object", tensor: "w")
        assertError(craft(#"{"w":[1]}"#, []), contains: "header entry is not an object", tensor: "w")
        assertError(craft(#"{"__metadata__":["a"]}"#, []), contains: "__metadata__ is not an object")
        assertError(craft(#"{"__metadata__":{"a":null}}"#, []), contains: "__metadata__ value 'a' is not a string")
        assertError(craft("3", []), contains: "header is not a JSON object")
        assertError(craft(#"{"w":{}"#, []), contains: "header is not a JSON object")
        let file = try SafeTensorsFile(path: craft(#"{"w":{"dtype":"F32","shape":[1.0,1e0],"data_offsets":[0,4.0],"extra":[1]}}   "#, four))
        XCTAssertEqual(file.entries["w"], SafeTensorsHeader.Entry(dtype: .f32, shape: [1, 1], range: 0..<4))
        XCTAssertEqual(file.metadata, [:])
    }

    /// A header encodes to JSON that decodes to the same header; an empty one is `{}`.
    func testHeaderEncodesAndDecodesToItself() throws {
        let header = SafeTensorsHeader(metadata: ["a": "b/c", "q": "\"x\""], entries: [
            "w": .init(dtype: .f16, shape: [2, 3], range: 0..<12), "e": .init(dtype: .u8, shape: [0], range: 12..<12),
            "s": .init(dtype: .i64, shape: [], range: 12..<20)])
        XCTAssertEqual(try SafeTensorsHeader(json: header.json(), file: "h", dataSize: 20), header)
        XCTAssertEqual(String(decoding: try SafeTensorsHeader().json(), as: UTF8.self), "{}")
        XCTAssertEqual(try SafeTensorsHeader(json: Data("{}".utf8), file: "h", dataSize: 0), SafeTensorsHeader())
        XCTAssertThrowsError(try SafeTensorsHeader(json: header.json(), file: "h", dataSize: 19)) {
            XCTAssertEqual("\($0)", "h: tensor 's': data_offsets [12, 20] run past the end of the data (19 bytes; file truncated?)")
        }
    }

    /// The writer's header is the format's JSON: compact, keys in code-point order, the
    /// metadata under `__metadata__`, then spaces up to a multiple of 8 bytes.
    func testWrittenHeaderBytes() throws {
        let path = directory.appendingPathComponent("bytes.safetensors").path
        try SafeTensorsWriter.write([("b", Tensor(shape: [1, 2], data: [1, 2])), ("A", Tensor(shape: [], data: [3]))],
                                    metadata: ["k": "x/y"], to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let length = bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        let json = #"{"A":{"data_offsets":[8,12],"dtype":"F32","shape":[]},"__metadata__":{"k":"x\/y"},"#
            + #""b":{"data_offsets":[0,8],"dtype":"F32","shape":[1,2]}}"#
        XCTAssertEqual(String(decoding: bytes[8..<(8 + length)], as: UTF8.self),
                       json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8))
        XCTAssertEqual(bytes.count, 8 + length + 12)
    }

    /// Metadata JSON reads what earlier versions wrote (JSONSerialization's compact form) and
    /// writes the same text; another type is nil, not a crash.
    func testMetadataJSONKeepsTheStoredForm() throws {
        XCTAssertEqual(try MetadataJSON.text(["sky", "a/b", "é\u{1}"]), #"["sky","a\/b","é\u0001"]"#)
        XCTAssertEqual(try MetadataJSON.text([0, 3, -1]), "[0,3,-1]")
        XCTAssertEqual(MetadataJSON.value([String].self, from: #"["sky","a\/b"]"#), ["sky", "a/b"])
        XCTAssertEqual(MetadataJSON.value([Int].self, from: "[0, 3]"), [0, 3])
        XCTAssertNil(MetadataJSON.value([Int].self, from: #"["0"]"#))
        XCTAssertNil(MetadataJSON.value([String].self, from: "not json"))
    }

    /// The writer refuses a name given twice and the metadata's own key, naming the tensor.
    func testWriterRefusesDuplicateAndReservedNames() {
        let path = directory.appendingPathComponent("dup.safetensors").path
        let t = Tensor(shape: [1], data: [1])
        for names in [["a", "a"], ["__metadata__"]] {
            XCTAssertThrowsError(try SafeTensorsWriter.write(names.map { ($0, t) }, to: path)) {
                XCTAssertEqual("\($0)", "\(path): tensor '\(names.last!)': duplicate or reserved tensor name")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testWrongShapeAndMissingTensor() throws {
        let path = directory.appendingPathComponent("w.safetensors").path
        try SafeTensorsWriter.write([("w", Tensor(shape: [2, 2], data: [1, 2, 3, 4]))], to: path)
        let file = try SafeTensorsFile(path: path)
        XCTAssertThrowsError(try file.tensor("w", shape: [4])) {
            XCTAssertEqual("\($0)", "\(path): tensor 'w': shape [2, 2], expected [4]")
        }
        XCTAssertThrowsError(try file.tensor("v")) {
            XCTAssertEqual("\($0)", "\(path): tensor 'v': not in the file")
        }
    }

    func testMissingFile() {
        assertError(directory.appendingPathComponent("absent.safetensors").path, contains: "cannot open")
    }

    /// Tensor names and dtype strings from the header reach the terminal escaped.
    func testNamesFromTheFileAreEscaped() {
        let path = craft(#"{"w\u001b[31m":{"dtype":"Q\u0007","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0])
        assertError(path, contains: "tensor 'w\\x1B[31m': unknown dtype Q\\x07", tensor: "w\u{1B}[31m")
        XCTAssertThrowsError(try SafeTensorsFile(path: path)) { error in
            XCTAssertFalse("\(error)".unicodeScalars.contains { $0.value < 0x20 }, "\(error)")
        }
    }

    /// The element count of every tensor must be what its byte range holds, whatever the dtype.
    func testDataOffsetsMustHoldTheShapeInEveryDType() {
        for (dtype, size) in [("F16", 2), ("BF16", 2), ("I64", 8), ("U8", 1)] {
            let path = craft(#"{"w":{"dtype":"\#(dtype)","shape":[3],"data_offsets":[0,\#(3 * size - 1)]}}"#,
                             [UInt8](repeating: 0, count: 3 * size))
            assertError(path, contains: "data_offsets [0, \(3 * size - 1)] hold \(3 * size - 1) bytes but \(dtype) [3] needs \(3 * size)", tensor: "w")
        }
    }

    /// A header longer than the format allows is refused before it is copied or parsed (the
    /// file is sparse: nothing is written past the length).
    func testHeaderPastTheFormatLimit() throws {
        let length = UInt64(SafeTensorsFile.maximumHeaderLength + 1)
        let path = craft("", [], length: length)
        XCTAssertEqual(truncate(path, off_t(8 + length)), 0)
        assertError(path, contains: "header of \(length) bytes exceeds the format's limit of \(SafeTensorsFile.maximumHeaderLength)")
    }
}

final class HalfConversionTests: XCTestCase {
    func testEveryHalfConvertsExactly() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = halfToFloat(bits)
            if expected.isNaN {
                XCTAssertTrue(got.isNaN, "bits \(bits)")
            } else if got.bitPattern != expected.bitPattern {
                XCTFail("bits \(bits): \(got) != \(expected)")
                return
            }
        }
    }
}
