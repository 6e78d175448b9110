import Foundation
import CSHA256
import Math
import FileIO

/// A streaming SHA-256 (FIPS 180-4) hasher, for verifying downloaded and bundled files: OpenSSL's
/// libcrypto underneath (several GB/s with the SHA extensions), our value-type API on top.
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update(Data("abc".utf8))
/// let hex = hasher.finalize().hex   // "ba7816bf..."
/// let fileHex = try SHA256.hex(ofFileAt: url)
/// ```
public struct SHA256: Sendable {
    /// A finished 32-byte digest.
    public struct Digest: Sendable, Equatable, CustomStringConvertible {
        /// The digest bytes, most significant first.
        public let bytes: [UInt8]
        /// Lower-case hexadecimal form, 64 characters.
        public var hex: String {
            let digits = Array("0123456789abcdef".utf8)
            var out = [UInt8]()
            out.reserveCapacity(64)
            for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
            return String(decoding: out, as: UTF8.self)
        }
        public var description: String { hex }
    }

    private var state = reclip_sha256_state()

    /// A hasher with nothing fed in yet.
    public init() { reclip_sha256_init(&state) }

    /// Feeds `data` into the hash.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// Feeds raw bytes into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        reclip_sha256_update(&state, base, bytes.count)
    }

    /// Pads, finishes and returns the digest (the hasher should not be used afterwards).
    public mutating func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        reclip_sha256_final(&state, &out)
        return Digest(bytes: out)
    }

    /// The digest of `data`.
    public static func hash(_ data: Data) -> Digest {
        var h = SHA256()
        h.update(data)
        return h.finalize()
    }

    /// The hex digest of the regular file at `url` (any bytes in its name), read in 4 MiB pieces.
    public static func hex(ofFileAt url: URL) throws -> String {
        var h = SHA256()
        try FileBytes.forEachPiece(of: url.path) { h.update($0) }
        return h.finalize().hex
    }
}
