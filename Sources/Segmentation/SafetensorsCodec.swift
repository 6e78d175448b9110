import Foundation
import Math

/// A problem with a tensor file, phrased for the person at the keyboard.
public struct TensorFileError: Error, CustomStringConvertible {
    public let file: String
    public let problem: String
    public init(file: String, problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(file): \(problem)" }
}

/// The safetensors container as the rectifier files and dumps use it: an 8-byte little-endian
/// header length, a JSON header (`dtype`, `shape`, `data_offsets` per tensor, and an optional
/// `__metadata__` object of strings), then the raw little-endian data.
/// Reads F32, F16 and BF16 (converted to Float); writes F32.
enum SafetensorsCodec {
    static func read(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let name = url.path
        guard let data = try? Data(contentsOf: url, options: .mappedIfSafe) else {
            throw TensorFileError(file: name, problem: "cannot read the file")
        }
        guard data.count >= 8 else { throw TensorFileError(file: name, problem: "too short for a safetensors file") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8),
              let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(headerLength)))) as? [String: Any]
        else { throw TensorFileError(file: name, problem: "not a safetensors file (bad header)") }
        let base = 8 + Int(headerLength)
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in header {
            if key == "__metadata__" {
                for (k, v) in (value as? [String: Any]) ?? [:] { metadata[k] = v as? String ?? "\(v)" }
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2 else {
                throw TensorFileError(file: name, problem: "tensor \(key) has a malformed header entry")
            }
            let count = shape.reduce(1, *)
            let width: Int
            switch dtype { case "F32": width = 4; case "F16", "BF16": width = 2
            default: throw TensorFileError(file: name, problem: "tensor \(key) has unsupported dtype \(dtype)") }
            guard offsets[1] - offsets[0] == count * width, base + offsets[1] <= data.count else {
                throw TensorFileError(file: name, problem: "tensor \(key) lies outside the file")
            }
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                let p = raw.baseAddress!.advanced(by: base + offsets[0])
                for i in 0..<count {
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                    case "F16": values[i] = Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian))
                    default: values[i] = Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16)
                    }
                }
            }
            tensors[key] = Tensor(shape: shape, data: values)
        }
        return (tensors, metadata)
    }

    /// Writes F32 tensors (sorted by name) and string metadata atomically.
    static func write(_ tensors: [String: Tensor], metadata: [String: String], to url: URL) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for n in names {
            let t = tensors[n]!
            header[n] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]] as [String: Any]
            offset += 4 * t.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var len = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
        out.append(json)
        for n in names {
            // Little-endian hosts only (x86-64, arm64): the Float bytes are the file bytes.
            tensors[n]!.data.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        try writeAtomically(out, to: url)
    }
}

/// Writes `data` to a temporary file beside `url`, then renames it over `url`.
func writeAtomically(_ data: Data, to url: URL) throws {
    let dir = url.deletingLastPathComponent()
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    do {
        try data.write(to: tmp)
        guard rename(tmp.path, url.path) == 0 else {
            throw TensorFileError(file: url.path, problem: "cannot rename the temporary file into place")
        }
    } catch {
        try? FileManager.default.removeItem(at: tmp)
        throw TensorFileError(file: url.path, problem: "cannot write: \(error.localizedDescription)")
    }
}
