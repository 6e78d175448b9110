/// RFC 4648 base64 (standard alphabet, `=` padding), the payload encoding of the kitty and
/// iTerm2 image escapes. Encoding only: terminals decode.
///
/// ```swift
/// Base64.encode([0, 0, 0])   // Array("AAAA".utf8)
/// ```
public enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The base64 text of `bytes`, as ASCII bytes (4 for every 3 input bytes, padded).
    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(encodedCount(bytes.count))
        let table = alphabet
        var i = 0
        let full = bytes.count - bytes.count % 3
        while i < full {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(table[Int(v >> 18)])
            out.append(table[Int((v >> 12) & 63)])
            out.append(table[Int((v >> 6) & 63)])
            out.append(table[Int(v & 63)])
            i += 3
        }
        let rest = bytes.count - full
        if rest > 0 {
            let b0 = UInt32(bytes[full])
            let b1 = rest == 2 ? UInt32(bytes[full + 1]) : 0
            let v = b0 << 16 | b1 << 8
            out.append(table[Int(v >> 18)])
            out.append(table[Int((v >> 12) & 63)])
            out.append(rest == 2 ? table[Int((v >> 6) & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return out
    }

    /// The length of the base64 text of `count` bytes.
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }
}
