import Foundation

/// A quick structural check of a `.safetensors` file before it enters the weights registry:
/// the 8-byte header length, a JSON header whose entries have a known dtype, a shape and
/// data offsets that agree with each other and stay inside the file. Tensor data is not read.
///
/// ```swift
/// let summary = try SafetensorsHeaderCheck.validate(fileAt: url)
/// print(summary.tensorCount, summary.dataBytes)
/// ```
public enum SafetensorsHeaderCheck {
    /// What the header describes.
    public struct Summary: Sendable, Equatable {
        /// Number of tensors listed.
        public let tensorCount: Int
        /// Bytes of tensor data after the header.
        public let dataBytes: Int
    }

    /// A file that is not a well-formed safetensors file.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// The file and the problem.
        public let description: String
    }

    static let dtypeBytes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    /// Checks the header of the safetensors file at `url`.
    public static func validate(fileAt url: URL) throws -> Summary {
        func fail(_ problem: String) -> Failure { Failure(description: "\(url.path): \(problem)") }
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw fail("cannot open (\(error.localizedDescription))")
        }
        defer { try? handle.close() }
        let fileSize = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        guard fileSize >= 8, let prefix = try handle.read(upToCount: 8), prefix.count == 8 else {
            throw fail("too short (\(fileSize) bytes) to be a safetensors file")
        }
        var n: UInt64 = 0
        for (i, b) in prefix.enumerated() { n |= UInt64(b) << (8 * UInt64(i)) }
        guard n >= 2, n <= 100_000_000, n <= UInt64(fileSize - 8) else {
            throw fail("header length \(n) does not fit a file of \(fileSize) bytes: not a safetensors file")
        }
        let headerLength = Int(n)
        guard let header = try handle.read(upToCount: headerLength), header.count == headerLength else {
            throw fail("header is truncated")
        }
        guard let json = try? JSONSerialization.jsonObject(with: header), let entries = json as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataBytes = fileSize - 8 - headerLength
        var ranges = [(Int, Int)]()
        for (name, value) in entries where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("tensor '\(name)' lacks dtype, shape or data_offsets") }
            guard let width = dtypeBytes[dtype] else { throw fail("tensor '\(name)' has unknown dtype \(dtype)") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)' has a negative dimension in \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataBytes else {
                throw fail("tensor '\(name)' occupies bytes \(begin)..<\(end), outside the \(dataBytes) data bytes")
            }
            var count = width
            for d in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor '\(name)' shape \(shape) overflows") }
                count = p
            }
            guard count == end - begin else {
                throw fail("tensor '\(name)' of shape \(shape) \(dtype) needs \(count) bytes, its offsets give \(end - begin)")
            }
            ranges.append((begin, end))
        }
        ranges.sort { $0.0 < $1.0 }
        for i in ranges.indices.dropFirst() where ranges[i].0 < ranges[i - 1].1 {
            throw fail("tensors overlap at data byte \(ranges[i].0)")
        }
        return Summary(tensorCount: ranges.count, dataBytes: dataBytes)
    }
}
