import Foundation

/// Reads `max_colors` from the compiled terminfo database, as `tput colors` does, for
/// terminals whose `TERM` name does not say what they can show.
///
/// Compiled entries start with six little-endian shorts (magic 0o432 for 16-bit numbers or
/// 0o1036 for 32-bit, then the sizes of the names, booleans, numbers, strings and string
/// table); the numbers follow the names and booleans, padded to an even offset, and
/// `max_colors` is number 13.
///
/// ```swift
/// let caps = TerminalCapabilities.detect(environment: env, terminfoColors: Terminfo.maxColors)
/// ```
public enum Terminfo {
    /// The index of `max_colors` among terminfo's numeric capabilities.
    static let maxColorsIndex = 13

    /// `max_colors` of the entry for `term`, looked up under `$TERMINFO`, `~/.terminfo` and
    /// the system directories; nil when there is no entry or it has no colour count.
    public static func maxColors(term: String, environment: [String: String]) -> Int? {
        guard !term.isEmpty, !term.contains("/"), let first = term.first else { return nil }
        var directories: [String] = []
        if let dir = environment["TERMINFO"] { directories.append(dir) }
        if let home = environment["HOME"] { directories.append(home + "/.terminfo") }
        directories += ["/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo"]
        let hex = String(format: "%02x", Int(first.asciiValue ?? 0))
        for dir in directories {
            for sub in [String(first), hex] {
                if let data = FileManager.default.contents(atPath: "\(dir)/\(sub)/\(term)") {
                    return maxColors(compiled: [UInt8](data))
                }
            }
        }
        return nil
    }

    /// `max_colors` of a compiled entry; nil when absent (-1) or the entry is malformed.
    public static func maxColors(compiled b: [UInt8]) -> Int? {
        func short(_ o: Int) -> Int? { o + 2 <= b.count ? Int(b[o]) | Int(b[o + 1]) << 8 : nil }
        guard let magic = short(0), let names = short(2), let bools = short(4), let numbers = short(6) else { return nil }
        let width: Int
        switch magic {
        case 0o432: width = 2
        case 0o1036: width = 4
        default: return nil
        }
        guard numbers > maxColorsIndex else { return nil }
        var offset = 12 + names + bools
        if offset % 2 == 1 { offset += 1 }
        let at = offset + maxColorsIndex * width
        guard at + width <= b.count else { return nil }
        var value = 0
        for k in 0..<width { value |= Int(b[at + k]) << (8 * k) }
        let negative = width == 2 ? value >= 0x8000 : value >= 0x8000_0000
        return negative ? nil : value
    }
}
