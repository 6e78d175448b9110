import Math
import FileIO
import ModelFiles
/// CLIP's word splitter: the pattern
/// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// with Python `regex` semantics (leftmost alternative wins, case-insensitive, characters
/// matched by nothing -- white space -- skipped).
enum PreTokenizer {
    static let startBytes = Array("<|startoftext|>".utf8)
    static let endBytes = Array("<|endoftext|>".utf8)
    private static let start = Array("<|startoftext|>".unicodeScalars)
    private static let end = Array("<|endoftext|>".unicodeScalars)

    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII { return (c.value | 0x20) >= 0x61 && (c.value | 0x20) <= 0x7A }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII { return c.value >= 0x30 && c.value <= 0x39 }
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Characters no alternative matches, dropped between pieces: white space, and U+0345
    /// (combining ypogegrammeni), a mark whose case variant U+0399 is a letter, so that under
    /// case-insensitive matching Python `regex` neither counts it as a letter nor as
    /// "not a letter".
    static func isSkipped(_ c: Unicode.Scalar) -> Bool {
        CLIPTextCleaner.isRegexSpace(c) || c.value == 0x345
    }

    /// Case-insensitive comparison with a lower-case ASCII pattern character, as Python
    /// `regex` folds case: U+017F (long s) and U+212A (Kelvin sign) fold to 's' and 'k'.
    private static func matches(_ c: Unicode.Scalar, _ p: Unicode.Scalar) -> Bool {
        if c == p { return true }
        if c.value < 0x80 { return c.value | 0x20 == p.value && (0x61...0x7A).contains(p.value) }
        return (c.value == 0x17F && p == "s") || (c.value == 0x212A && p == "k")
    }

    private static func literal(_ s: [Unicode.Scalar], _ i: Int, _ pattern: [Unicode.Scalar]) -> Bool {
        guard i + pattern.count <= s.count else { return false }
        for k in 0..<pattern.count where !matches(s[i + k], pattern[k]) { return false }
        return true
    }

    /// Index ranges of the pieces of `s`, in order.
    static func split(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        var pieces = [Range<Int>]()
        var i = 0
        let contractions: [[Unicode.Scalar]] = [["'", "s"], ["'", "t"], ["'", "r", "e"], ["'", "v", "e"], ["'", "m"], ["'", "l", "l"], ["'", "d"]]
        while i < s.count {
            let c = s[i]
            if c == "<" {
                if literal(s, i, start) { pieces.append(i..<(i + start.count)); i += start.count; continue }
                if literal(s, i, end) { pieces.append(i..<(i + end.count)); i += end.count; continue }
            }
            if c == "'", let m = contractions.first(where: { literal(s, i, $0) }) {
                pieces.append(i..<(i + m.count)); i += m.count; continue
            }
            if isLetter(c) {
                var j = i + 1
                while j < s.count && isLetter(s[j]) { j += 1 }
                pieces.append(i..<j); i = j; continue
            }
            if isNumber(c) { pieces.append(i..<(i + 1)); i += 1; continue }
            if isSkipped(c) { i += 1; continue }
            var j = i + 1
            while j < s.count && !isLetter(s[j]) && !isNumber(s[j]) && !isSkipped(s[j]) { j += 1 }
            pieces.append(i..<j); i = j
        }
        return pieces
    }
}
