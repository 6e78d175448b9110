import Foundation

/// File names as the kernel sees them, carried in Swift `String`s without losing a byte.
///
/// On Linux a path is bytes, and `caf\xE9.png` (Latin-1) is a legal name that is not UTF-8.
/// A `String` cannot hold such bytes, and Swift's usual decodings replace them with U+FFFD
/// (`CommandLine.arguments`, `String(decoding:as:)`, `FileManager`'s listings), after which
/// the file cannot be opened. Here a byte that is not part of valid UTF-8 becomes one scalar of
/// a private-use block, U+10DC80 + (byte - 0x80) (after Python's "surrogateescape"), and every
/// other byte decodes as UTF-8; a valid sequence that itself spells one of those scalars is
/// escaped byte by byte too, so that decoding is one to one and `bytes(of:)` gives back
/// exactly the bytes `string(_:)` was given. UTF-8 names decode to themselves.
///
/// Paths made here travel through `URL`, `appendingPathComponent` and string comparison as
/// usual; whatever hands one to the kernel goes through `withCString` (as `FileBytes`,
/// `AtomicFile`, `FolderListing` and `PathKind` do), and `terminalSafe` shows an escaped byte as
/// `\xNN`.
///
/// ```swift
/// let name = PathBytes.string([0x63, 0x61, 0x66, 0xE9])   // "caf\u{10DCE9}"
/// PathBytes.bytes(of: name)                                // [0x63, 0x61, 0x66, 0xE9]
/// terminalSafe(name)                                       // #"caf\xE9"#
/// ```
public enum PathBytes {
    /// The scalar that stands for the stray byte 0x80 + n is `escapes.lowerBound + n`.
    public static let escapes: ClosedRange<UInt32> = 0x10DC80...0x10DCFF

    /// The byte an escape scalar stands for, or nil for any other scalar.
    public static func escapedByte(_ scalar: Unicode.Scalar) -> UInt8? {
        escapes.contains(scalar.value) ? UInt8(scalar.value - escapes.lowerBound + 0x80) : nil
    }

    /// `bytes` as a string: UTF-8 where they are UTF-8, escape scalars for the rest.
    public static func string<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let b = Array(bytes)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            if let (scalar, length) = scalar(in: b, at: i), !escapes.contains(scalar.value) {
                out.append(scalar)
                i += length
            } else {
                out.append(Unicode.Scalar(escapes.lowerBound + UInt32(b[i]) - 0x80)!)
                i += 1
            }
        }
        return String(out)
    }

    /// The current folder as the kernel names it (`getcwd`), decoded like any path here.
    /// Foundation's `currentDirectoryPath` replaces a byte that is not UTF-8 with U+FFFD, and
    /// `URL(fileURLWithPath:)` makes a relative path absolute with it, after which the file
    /// cannot be found.
    public static var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return FileManager.default.currentDirectoryPath }
        return string(cString: buffer)
    }

    /// `path` made absolute against `currentDirectory` (unchanged when it already is).
    public static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : currentDirectory + "/" + path
    }

    /// A file URL for a path given by the user, made absolute here rather than by Foundation
    /// (see `currentDirectory`).
    public static func fileURL(_ path: String, isDirectory: Bool = false) -> URL {
        URL(fileURLWithPath: absolute(path), isDirectory: isDirectory)
    }

    /// The folder and the last component of `path`, split at its last `/` as the kernel reads
    /// it ("." for a bare name, "/" for a name at the root). Not through `URL`, which makes a
    /// relative path absolute by way of Foundation's current directory, whose name loses every
    /// byte that is not UTF-8.
    public static func folderAndName(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = slash == path.startIndex ? "/" : String(path[..<slash])
        return (folder, String(path[path.index(after: slash)...]))
    }

    /// The bytes `path` stands for: the inverse of `string(_:)`.
    public static func bytes(of path: String) -> [UInt8] {
        guard path.unicodeScalars.contains(where: { escapes.contains($0.value) }) else { return Array(path.utf8) }
        var out: [UInt8] = []
        for s in path.unicodeScalars {
            if let byte = escapedByte(s) { out.append(byte) } else { out += Array(String(s).utf8) }
        }
        return out
    }

    /// Calls `body` with `path` as the NUL-terminated bytes the kernel is to be given.
    public static func withCString<R>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        let c = bytes(of: path).map { CChar(bitPattern: $0) } + [0]
        return try c.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// A NUL-terminated C string as a path.
    public static func string(cString: UnsafePointer<CChar>) -> String {
        string(UnsafeBufferPointer(start: cString, count: strlen(cString)).lazy.map { UInt8(bitPattern: $0) })
    }

    /// The process's arguments as given (`argv`, program name first), each decoded by
    /// `string(_:)`: `CommandLine.arguments` has already replaced non-UTF-8 bytes with U+FFFD.
    public static var arguments: [String] {
        (0..<Int(CommandLine.argc)).map { i in CommandLine.unsafeArgv[i].map { string(cString: $0) } ?? "" }
    }

    /// The UTF-8 scalar starting at `i` and its length in bytes, or nil when the bytes there are
    /// not well-formed UTF-8 (Unicode's table 3-7: no overlong forms, no surrogates, at most
    /// U+10FFFF).
    static func scalar(in b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let lead = b[i]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let length: Int, second: ClosedRange<UInt8>
        switch lead {
        case 0xC2...0xDF: length = 2; second = 0x80...0xBF
        case 0xE0: length = 3; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; second = 0x80...0xBF
        case 0xED: length = 3; second = 0x80...0x9F
        case 0xF0: length = 4; second = 0x90...0xBF
        case 0xF1...0xF3: length = 4; second = 0x80...0xBF
        case 0xF4: length = 4; second = 0x80...0x8F
        default: return nil
        }
        guard i + length <= b.count, second.contains(b[i + 1]) else { return nil }
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<length {
            guard k == 1 || (0x80...0xBF).contains(b[i + k]) else { return nil }
            value = value << 6 | UInt32(b[i + k] & 0x3F)
        }
        return Unicode.Scalar(value).map { ($0, length) }
    }
}
