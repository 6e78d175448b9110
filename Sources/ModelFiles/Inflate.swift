import CZlib
import Foundation
import Math
import FileIO

/// Decompression of zlib's formats: gzip files (the BPE vocabulary) and raw deflate
/// streams (zip archive members).
///
/// ```swift
/// let text = try Inflate.gunzip(Data(contentsOf: url))
/// ```
public enum Inflate {
    /// A stream that zlib could not decode.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What was being decoded and how it failed.
        public let description: String
    }

    /// Decompresses a gzip (RFC 1952) stream.
    public static func gunzip(_ data: Data, what: String = "gzip data") throws -> Data {
        try inflate(data, windowBits: 15 + 16, expectedSize: nil, what: what)
    }

    /// Decompresses a raw deflate (RFC 1951) stream, as stored in zip archives.
    public static func rawDeflate(_ data: Data, expectedSize: Int?, what: String) throws -> Data {
        try inflate(data, windowBits: -15, expectedSize: expectedSize, what: what)
    }

    static func inflate(_ input: Data, windowBits: Int32, expectedSize: Int?, what: String) throws -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "\(what): zlib could not start decoding")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var status: Int32 = Z_OK
        try input.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(src.count)
            repeat {
                status = buffer.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    let r = CZlib.inflate(&stream, Z_NO_FLUSH)
                    output.append(out.baseAddress!, count: chunk - Int(stream.avail_out))
                    return r
                }
                if let limit = expectedSize, output.count > limit {
                    throw Failure(description: "\(what): decodes to more than the \(limit) bytes recorded")
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    throw Failure(description: "\(what): compressed data ends early")
                }
            } while status == Z_OK || (status == Z_BUF_ERROR && stream.avail_in > 0)
        }
        guard status == Z_STREAM_END else {
            let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
            throw Failure(description: "\(what): corrupt compressed data (\(message))")
        }
        if let size = expectedSize, output.count != size {
            throw Failure(description: "\(what): decodes to \(output.count) bytes, \(size) recorded")
        }
        return output
    }
}
