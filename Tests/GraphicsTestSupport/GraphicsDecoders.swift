import Pixels
import Foundation
import Render
import TestSupport

/// Independent readers of the graphics encoders' bytes, strict enough that any deviation from
/// the protocol throws: the round-trip tests decode what the encoders write and compare
/// pixels exactly. Base64 is decoded with Foundation, not the encoder's table.
public struct DecodeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension RGBImage {
    /// A random image whose colours come from `colors` random colours (all 2^24 if nil), drawn
    /// with TestSupport's seeded SplitMix64 so that property tests see the same images every run.
    public static func random(width: Int, height: Int, colors: Int?, using rng: inout SeededGenerator) -> RGBImage {
        let palette = (0..<(colors ?? 0)).map { _ in RGB(UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...255, using: &rng)) }
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                image[x, y] = palette.isEmpty
                    ? RGB(UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...255, using: &rng))
                    : palette[Int.random(in: 0..<palette.count, using: &rng)]
            }
        }
        return image
    }
}

public func base64Decode<C: Collection>(_ text: C) throws -> [UInt8] where C.Element == UInt8 {
    guard let data = Data(base64Encoded: Data(text)) else { throw DecodeError("not base64: \(String(decoding: text.prefix(40), as: UTF8.self))") }
    return [UInt8](data)
}

/// Undoes `TmuxPassthrough.wrap` on a stream of wrapped sequences; throws on any byte outside
/// a wrapper or an undoubled ESC inside one.
public func unwrapTmux(_ bytes: [UInt8]) throws -> [UInt8] {
    let prefix: [UInt8] = [0x1B] + Array("Ptmux;".utf8)
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
        guard bytes.count - i >= prefix.count, Array(bytes[i..<(i + prefix.count)]) == prefix else {
            throw DecodeError("byte \(i) is outside a tmux passthrough wrapper")
        }
        i += prefix.count
        while true {
            guard i < bytes.count else { throw DecodeError("unterminated tmux passthrough") }
            if bytes[i] == 0x1B {
                guard i + 1 < bytes.count else { throw DecodeError("ESC at the end") }
                if bytes[i + 1] == 0x1B { out.append(0x1B); i += 2; continue }
                if bytes[i + 1] == UInt8(ascii: "\\") { i += 2; break }
                throw DecodeError("undoubled ESC inside tmux passthrough at \(i)")
            }
            out.append(bytes[i]); i += 1
        }
    }
    return out
}

// MARK: - Sixel

public enum SixelDecoder {
    public struct Result {
        public var image: RGBImage
        /// Pixels inside the raster no sixel set.
        public var unset: Int
        /// The colour registers defined, by number.
        public var registers: [Int: RGB]
    }

    /// Reads `ESC P <params> q "pan;pad;W;H <data> ESC \`; pixels outside W x H or an
    /// undefined register throw.
    public static func decode(_ bytes: [UInt8]) throws -> Result {
        guard bytes.count >= 4, bytes[0] == 0x1B, bytes[1] == UInt8(ascii: "P"),
              bytes[bytes.count - 2] == 0x1B, bytes[bytes.count - 1] == UInt8(ascii: "\\") else {
            throw DecodeError("not a DCS ... ST string")
        }
        let body = Array(bytes[2..<(bytes.count - 2)])
        guard let q = body.firstIndex(of: UInt8(ascii: "q")) else { throw DecodeError("no q") }
        let params = String(decoding: body[..<q], as: UTF8.self)
        guard params == "0;1;0" else { throw DecodeError("DCS parameters \(params)") }
        var i = q + 1

        func number() -> Int? {
            var v: Int?
            while i < body.count, body[i] >= 48, body[i] <= 57 { v = (v ?? 0) * 10 + Int(body[i] - 48); i += 1 }
            return v
        }
        func numbers() -> [Int] {
            var out: [Int] = []
            repeat {
                if i < body.count, body[i] == UInt8(ascii: ";") { i += 1 }
                out.append(number() ?? 0)
            } while i < body.count && body[i] == UInt8(ascii: ";")
            return out
        }

        guard i < body.count, body[i] == UInt8(ascii: "\"") else { throw DecodeError("no raster attributes") }
        i += 1
        let raster = numbers()
        guard raster.count == 4, raster[0] == 1, raster[1] == 1, raster[2] > 0, raster[3] > 0 else {
            throw DecodeError("raster attributes \(raster)")
        }
        let (width, height) = (raster[2], raster[3])
        var image = RGBImage(width: width, height: height)
        var set = [Bool](repeating: false, count: width * height)
        var registers: [Int: RGB] = [:]
        var color: RGB?
        var x = 0, band = 0

        func paint(_ char: UInt8, count: Int) throws {
            let bits = Int(char) - 63
            guard let c = color else { throw DecodeError("sixel data before a colour is selected") }
            for _ in 0..<count {
                for r in 0..<6 where bits & (1 << r) != 0 {
                    let y = band * 6 + r
                    guard x < width, y < height else { throw DecodeError("pixel (\(x), \(y)) outside \(width)x\(height)") }
                    image[x, y] = c
                    set[y * width + x] = true
                }
                x += 1
            }
        }

        while i < body.count {
            let b = body[i]
            switch b {
            case UInt8(ascii: "#"):
                i += 1
                let p = numbers()
                if p.count == 5 {
                    guard p[1] == 2, (0...100).contains(p[2]), (0...100).contains(p[3]), (0...100).contains(p[4]) else {
                        throw DecodeError("colour definition \(p)")
                    }
                    registers[p[0]] = RGB(SixelEncoder.byte(percent: p[2]), SixelEncoder.byte(percent: p[3]), SixelEncoder.byte(percent: p[4]))
                    color = registers[p[0]]
                } else if p.count == 1 {
                    guard let c = registers[p[0]] else { throw DecodeError("register \(p[0]) selected before it is defined") }
                    color = c
                } else {
                    throw DecodeError("colour introducer \(p)")
                }
            case UInt8(ascii: "!"):
                i += 1
                guard let n = number(), n >= 1, n <= 32767, i < body.count, (63...126).contains(body[i]) else {
                    throw DecodeError("bad repeat at \(i)")
                }
                try paint(body[i], count: n)
                i += 1
            case UInt8(ascii: "$"):
                x = 0; i += 1
            case UInt8(ascii: "-"):
                x = 0; band += 1; i += 1
            case 63...126:
                try paint(b, count: 1); i += 1
            default:
                throw DecodeError("unexpected byte \(b) at \(i)")
            }
        }
        return Result(image: image, unset: set.filter { !$0 }.count, registers: registers)
    }
}

// MARK: - Kitty

public enum KittyDecoder {
    public struct Result {
        /// The first chunk's keys.
        public var keys: [String: String]
        /// The reassembled, base64-decoded payload.
        public var data: [UInt8]
        /// Base64 bytes of each chunk.
        public var chunkSizes: [Int]
        /// The pixels: `s` x `v` RGB for f=24, the decoded PNG for f=100.
        public var image: RGBImage
    }

    /// Splits `ESC _ G ... ESC \` commands; throws on any byte between them.
    public static func commands(_ bytes: [UInt8]) throws -> [(keys: [(String, String)], payload: [UInt8])] {
        var out: [(keys: [(String, String)], payload: [UInt8])] = []
        var i = 0
        while i < bytes.count {
            guard i + 3 <= bytes.count, bytes[i] == 0x1B, bytes[i + 1] == UInt8(ascii: "_"), bytes[i + 2] == UInt8(ascii: "G") else {
                throw DecodeError("byte \(i) is not the start of a kitty command")
            }
            var j = i + 3
            while j < bytes.count && bytes[j] != 0x1B { j += 1 }
            guard j + 1 < bytes.count, bytes[j + 1] == UInt8(ascii: "\\") else { throw DecodeError("unterminated kitty command") }
            let body = Array(bytes[(i + 3)..<j])
            let semicolon = body.firstIndex(of: UInt8(ascii: ";")) ?? body.count
            var keys: [(String, String)] = []
            for pair in String(decoding: body[..<semicolon], as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false) {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2, kv[0].count == 1, !kv[1].isEmpty else { throw DecodeError("bad key \(pair)") }
                keys.append((String(kv[0]), String(kv[1])))
            }
            let payload = semicolon < body.count ? Array(body[(semicolon + 1)...]) : []
            out.append((keys, payload))
            i = j + 2
        }
        return out
    }

    /// Reads one chunked transmission, enforcing the chunking rules.
    public static func decode(_ bytes: [UInt8]) throws -> Result {
        let commands = try commands(bytes)
        guard let first = commands.first else { throw DecodeError("no command") }
        var keys: [String: String] = [:]
        for (k, v) in first.keys {
            guard keys[k] == nil else { throw DecodeError("key \(k) twice") }
            keys[k] = v
        }
        var payload: [UInt8] = []
        var sizes: [Int] = []
        for (n, command) in commands.enumerated() {
            let last = n == commands.count - 1
            let chunkKeys = Dictionary(command.keys, uniquingKeysWith: { a, _ in a })
            if n > 0 {
                guard Set(chunkKeys.keys).isSubset(of: ["m", "q"]) else { throw DecodeError("chunk \(n) has keys \(chunkKeys.keys.sorted())") }
                guard chunkKeys["q"] == keys["q"] else { throw DecodeError("chunk \(n) q differs") }
            }
            let m = chunkKeys["m"]
            if commands.count == 1 {
                guard m == nil || m == "0" else { throw DecodeError("single chunk with m=\(m!)") }
            } else {
                guard m == (last ? "0" : "1") else { throw DecodeError("chunk \(n) of \(commands.count) has m=\(m ?? "none")") }
            }
            guard command.payload.count <= 4096 else { throw DecodeError("chunk \(n) holds \(command.payload.count) bytes") }
            guard last || command.payload.count % 4 == 0 else { throw DecodeError("chunk \(n) is not a multiple of 4") }
            guard !command.payload.isEmpty else { throw DecodeError("empty chunk \(n)") }
            sizes.append(command.payload.count)
            payload += command.payload
        }
        keys["m"] = nil
        let data = try base64Decode(payload)
        let image: RGBImage
        switch keys["f"] {
        case "24":
            guard let w = keys["s"].flatMap(Int.init), let h = keys["v"].flatMap(Int.init), data.count == w * h * 3 else {
                throw DecodeError("f=24 with s=\(keys["s"] ?? "?") v=\(keys["v"] ?? "?") and \(data.count) bytes")
            }
            image = RGBImage(width: w, height: h, pixels: data)
        case "100":
            guard keys["s"] == nil, keys["v"] == nil else { throw DecodeError("PNG with s/v") }
            image = try PNGCodec.decode(data, name: "kitty payload")
        default:
            throw DecodeError("format \(keys["f"] ?? "none")")
        }
        return Result(keys: keys, data: data, chunkSizes: sizes, image: image)
    }
}

// MARK: - iTerm2

public enum ITermDecoder {
    public struct Result {
        public var arguments: [String: String]
        public var file: [UInt8]
        public var image: RGBImage
        /// 1 for `File=`, else the number of `FilePart`s.
        public var parts: Int
        /// The longest escape, in bytes.
        public var longestEscape: Int
    }

    /// Splits `ESC ] 1337 ; body` escapes ended by BEL or ST (all the same).
    public static func escapes(_ bytes: [UInt8]) throws -> (bodies: [[UInt8]], terminator: [UInt8], longest: Int) {
        let prefix: [UInt8] = [0x1B, UInt8(ascii: "]")] + Array("1337;".utf8)
        var bodies: [[UInt8]] = []
        var terminator: [UInt8]?
        var longest = 0
        var i = 0
        while i < bytes.count {
            guard bytes.count - i >= prefix.count, Array(bytes[i..<(i + prefix.count)]) == prefix else {
                throw DecodeError("byte \(i) is not the start of an OSC 1337")
            }
            var j = i + prefix.count
            while j < bytes.count && bytes[j] != 0x07 && bytes[j] != 0x1B { j += 1 }
            guard j < bytes.count else { throw DecodeError("unterminated OSC") }
            let end: [UInt8]
            if bytes[j] == 0x07 { end = [0x07] } else {
                guard j + 1 < bytes.count, bytes[j + 1] == UInt8(ascii: "\\") else { throw DecodeError("ESC inside OSC") }
                end = [0x1B, UInt8(ascii: "\\")]
            }
            if let t = terminator, t != end { throw DecodeError("mixed terminators") }
            terminator = end
            bodies.append(Array(bytes[(i + prefix.count)..<j]))
            longest = max(longest, j + end.count - i)
            i = j + end.count
        }
        guard let terminator else { throw DecodeError("no escape") }
        return (bodies, terminator, longest)
    }

    public static func arguments(_ text: Substring) throws -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: ";", omittingEmptySubsequences: false) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, !kv[0].isEmpty, out[String(kv[0])] == nil else { throw DecodeError("bad argument \(pair)") }
            out[String(kv[0])] = String(kv[1])
        }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws -> Result {
        let (bodies, _, longest) = try escapes(bytes)
        let first = String(decoding: bodies[0], as: UTF8.self)
        var args: [String: String]
        var base64: [UInt8] = []
        var parts = 1
        if first.hasPrefix("File=") {
            guard bodies.count == 1, let colon = first.firstIndex(of: ":") else { throw DecodeError("File= form") }
            args = try arguments(first[first.index(first.startIndex, offsetBy: 5)..<colon])
            base64 = Array(first[first.index(after: colon)...].utf8)
        } else if first.hasPrefix("MultipartFile=") {
            guard bodies.count >= 3, String(decoding: bodies.last!, as: UTF8.self) == "FileEnd" else { throw DecodeError("multipart form") }
            args = try arguments(first.dropFirst("MultipartFile=".count))
            parts = bodies.count - 2
            for body in bodies[1..<(bodies.count - 1)] {
                let text = String(decoding: body, as: UTF8.self)
                guard text.hasPrefix("FilePart=") else { throw DecodeError("expected FilePart") }
                base64 += Array(text.dropFirst("FilePart=".count).utf8)
            }
        } else {
            throw DecodeError("unknown OSC 1337 command")
        }
        let file = try base64Decode(base64)
        guard args["size"] == String(file.count) else { throw DecodeError("size=\(args["size"] ?? "none") for \(file.count) bytes") }
        guard args["inline"] == "1" else { throw DecodeError("not inline") }
        return Result(arguments: args, file: file, image: try PNGCodec.decode(file, name: "iTerm payload"),
                      parts: parts, longestEscape: longest)
    }
}
