import Foundation

/// The JSON header of a safetensors file as a typed value: the `__metadata__` string map and
/// one entry per tensor (`{"dtype", "shape", "data_offsets"}`). The reader decodes one and
/// validates it against the data that follows (`init(json:file:dataSize:)`); the writer encodes
/// one (`json()`).
///
/// Decoding checks every entry on its own (a known dtype, a shape of non-negative integers
/// whose byte count does not overflow, two increasing offsets holding exactly
/// `numel * size(dtype)` bytes); the file's check adds what needs the whole header: every range
/// inside the data, no two overlapping. Each problem is one `SafeTensorsError` naming the file
/// and, when one is at fault, the tensor.
///
/// ```swift
/// let header = try SafeTensorsHeader(json: bytes, file: "model.safetensors", dataSize: 1_572_864)
/// header.entries["visual.proj"]?.shape   // [768, 512]
/// ```
public struct SafeTensorsHeader: Codable, Sendable, Equatable {
    /// One tensor's header entry.
    public struct Entry: Codable, Sendable, Equatable {
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        /// Byte range within the data section (after the header).
        public let range: Range<Int>
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }

        public init(dtype: SafeTensorsDType, shape: [Int], range: Range<Int>) {
            self.dtype = dtype
            self.shape = shape
            self.range = range
        }

        private enum CodingKeys: String, CodingKey {
            case dtype, shape, dataOffsets = "data_offsets"
        }

        public init(from decoder: any Decoder) throws {
            guard let fields = try? decoder.container(keyedBy: CodingKeys.self) else {
                throw Problem("header entry is not an object")
            }
            guard let dtypeName = try? fields.decode(String.self, forKey: .dtype) else { throw Problem("missing dtype") }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else { throw Problem("unknown dtype \(dtypeName)") }
            guard let dimensions = try? fields.decode([JSONInteger].self, forKey: .shape) else { throw Problem("missing shape") }
            let shape = dimensions.compactMap { $0.value.flatMap { $0 >= 0 ? $0 : nil } }
            guard shape.count == dimensions.count else {
                throw Problem("shape [\(dimensions.map(\.text).joined(separator: ", "))] has a non-integer or negative dimension")
            }
            guard let offsets = try? fields.decode([JSONInteger].self, forKey: .dataOffsets), offsets.count == 2,
                  let begin = offsets[0].value, let end = offsets[1].value
            else { throw Problem("data_offsets must be two integers") }
            guard begin >= 0, begin <= end else { throw Problem("data_offsets [\(begin), \(end)] are not an increasing range") }
            var count = 1
            for n in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: n)
                guard !overflow else { throw Problem("shape \(shape) overflows") }
                count = product
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow else { throw Problem("shape \(shape) overflows") }
            guard bytes == end - begin else {
                throw Problem("data_offsets [\(begin), \(end)] hold \(end - begin) bytes but \(dtypeName) \(shape) needs \(bytes)")
            }
            self.init(dtype: dtype, shape: shape, range: begin..<end)
        }

        public func encode(to encoder: any Encoder) throws {
            var fields = encoder.container(keyedBy: CodingKeys.self)
            try fields.encode(dtype, forKey: .dtype)
            try fields.encode(shape, forKey: .shape)
            try fields.encode([range.lowerBound, range.upperBound], forKey: .dataOffsets)
        }
    }

    /// The `__metadata__` string map (empty when absent; not written when empty).
    public var metadata: [String: String]
    /// Header entries by tensor name.
    public var entries: [String: Entry]

    /// The reserved key of the metadata map.
    public static let metadataKey = "__metadata__"

    public init(metadata: [String: String] = [:], entries: [String: Entry] = [:]) {
        self.metadata = metadata
        self.entries = entries
    }

    /// Decodes the header bytes of `file` and checks them against the `dataSize` bytes of data
    /// that follow: every range inside the data, no two non-empty ranges overlapping.
    public init(json: Data, file: String, dataSize: Int) throws {
        // JSONDecoder keeps one of two equal keys without a word; another reader may keep the
        // other, so a file naming a tensor twice would mean different things to different tools.
        if let name = Self.repeatedTopLevelKey(json) {
            throw SafeTensorsError(file: file, tensor: name == Self.metadataKey ? nil : name,
                                   "\(name) appears twice in the header")
        }
        do {
            self = try JSONDecoder().decode(Self.self, from: json)
        } catch let problem as Problem {
            throw SafeTensorsError(file: file, tensor: problem.tensor, problem.message)
        } catch {
            throw SafeTensorsError(file: file, "header is not a JSON object")
        }
        for (name, e) in entries where e.range.upperBound > dataSize {
            throw SafeTensorsError(file: file, tensor: name, "data_offsets [\(e.range.lowerBound), \(e.range.upperBound)] run past the end of the data (\(dataSize) bytes; file truncated?)")
        }
        let ordered = entries.filter { !$0.value.range.isEmpty }.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (a, b) in zip(ordered, ordered.dropFirst()) where b.value.range.lowerBound < a.value.range.upperBound {
            throw SafeTensorsError(file: file, tensor: b.key, "data overlaps tensor '\(a.key)'")
        }
    }

    /// The first key of the top-level JSON object that appears a second time (compared after
    /// unescaping, as a decoder compares them), or nil. A scan over the bytes that tracks
    /// strings and nesting; malformed text is left to the decoder (nil).
    static func repeatedTopLevelKey(_ json: Data) -> String? {
        var seen = Set<String>()
        var depth = 0, inString = false, escaped = false, expectingKey = false
        var keyStart: Int?
        for (i, byte) in json.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if let start = keyStart {
                        keyStart = nil
                        guard let key = try? JSONDecoder().decode(String.self, from: json.subdata(in: (json.startIndex + start)..<(json.startIndex + i + 1))) else { return nil }
                        if !seen.insert(key).inserted { return key }
                    }
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if depth == 1 && expectingKey { keyStart = i; expectingKey = false }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth == 1 { expectingKey = byte == UInt8(ascii: "{") }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ","): if depth == 1 { expectingKey = true }
            default: break
            }
        }
        return nil
    }

    /// The header as compact JSON with sorted keys, the metadata map left out when empty.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    public init(from decoder: any Decoder) throws {
        guard let object = try? decoder.container(keyedBy: Key.self) else { throw Problem("header is not a JSON object") }
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for key in object.allKeys {
            let name = key.stringValue
            if name == Self.metadataKey {
                guard let map = try? object.nestedContainer(keyedBy: Key.self, forKey: key) else {
                    throw Problem("__metadata__ is not an object")
                }
                for k in map.allKeys {
                    guard let value = try? map.decode(String.self, forKey: k) else {
                        throw Problem("__metadata__ value '\(k.stringValue)' is not a string")
                    }
                    metadata[k.stringValue] = value
                }
                continue
            }
            do {
                entries[name] = try object.decode(Entry.self, forKey: key)
            } catch let problem as Problem {
                throw Problem(tensor: name, problem.message)
            } catch {
                throw Problem(tensor: name, "header entry is not an object")
            }
        }
        self.init(metadata: metadata, entries: entries)
    }

    public func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: Key.self)
        if !metadata.isEmpty { try object.encode(metadata, forKey: Key(Self.metadataKey)) }
        for (name, entry) in entries { try object.encode(entry, forKey: Key(name)) }
    }

    /// A key of the header object: a tensor's name, or `__metadata__`.
    struct Key: CodingKey {
        let stringValue: String
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.init(stringValue) }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// What decoding found wrong, before the file's name is known.
    struct Problem: Error {
        let tensor: String?
        let message: String
        init(tensor: String? = nil, _ message: String) {
            self.tensor = tensor
            self.message = message
        }
    }

    /// A JSON value that should be an integer: its value when it is one (`1`, `1.0`, `1e3`),
    /// and how it reads in a message whatever it is.
    struct JSONInteger: Decodable {
        let value: Int?
        let text: String

        init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let n = try? single.decode(Int.self) {
                (value, text) = (n, "\(n)")
            } else if let d = try? single.decode(Double.self) {
                (value, text) = (nil, "\(d)")
            } else {
                (value, text) = (nil, "(not a number)")
            }
        }
    }
}
