import Foundation
import Math
import FileIO
import ModelFiles

/// The text clean-up CLIP's tokenizer applies before splitting words: a port of
/// `ftfy.fix_text`'s default fixes, `html.unescape` applied twice, whitespace collapsing and
/// Python's `str.lower`.
///
/// Reproduced from ftfy (6.x, default configuration), in its order and repeated until the
/// text stops changing: HTML entity decoding (skipped from the first line holding `<`
/// onwards), C1 control characters read as Windows-1252, Latin ligatures split, halfwidth
/// and fullwidth forms mapped to normal width, curly quotes straightened, line breaks unified,
/// ANSI terminal escapes removed, unwanted control characters removed, NFC normalisation.
///
/// Not reproduced: ftfy's mojibake repair (`fix_encoding`: re-decoding text such as "sÃ³"
/// that was UTF-8 read as Latin-1/Windows-1252, `restore_byte_a0`, `replace_lossy_sequences`,
/// `decode_inconsistent_utf8`) -- such text is tokenized as it stands. Surrogates cannot
/// occur in a Swift string, so `fix_surrogates` has nothing to do. Case mappings come from
/// Swift's Unicode tables, which are newer than Python 3.11's: about 55 letters added in
/// Unicode 16 (e.g. U+1C89, U+A7CB, U+10D50...) are lower-cased here but not by Python.
struct CLIPTextCleaner: Sendable {
    let html5: [String: [Unicode.Scalar]]
    let ftfyEntities: [String: [Unicode.Scalar]]
    let width: [UInt32: [Unicode.Scalar]]
    let ligatures: [UInt32: [Unicode.Scalar]]
    let charrefs: [UInt32: [Unicode.Scalar]]
    let invalidCodePoints: Set<UInt32>
    /// The longest html5 entity name, bounding the prefix search.
    let longestEntity: Int

    /// Reads the tables written by scripts/make_text_tables.py.
    init(tables text: String, source: String) throws {
        var html5 = [String: [Unicode.Scalar]](), ftfy = [String: [Unicode.Scalar]]()
        var width = [UInt32: [Unicode.Scalar]](), ligatures = [UInt32: [Unicode.Scalar]]()
        var charrefs = [UInt32: [Unicode.Scalar]](), invalid = Set<UInt32>()
        func scalars<S: StringProtocol>(_ field: S, line: Int) throws -> [Unicode.Scalar] {
            try field.split(separator: " ").map {
                guard let v = UInt32($0, radix: 16), let s = Unicode.Scalar(v) else {
                    throw CLIPTokenizer.LoadError(description: "\(source): line \(line): bad code point '\($0)'")
                }
                return s
            }
        }
        /// The one code point a table maps from.
        func scalar<S: StringProtocol>(_ field: S, line: Int) throws -> UInt32 {
            let s = try scalars(field, line: line)
            guard s.count == 1 else {
                throw CLIPTokenizer.LoadError(description: "\(source): line \(line): expected one code point, got '\(field)'")
            }
            return s[0].value
        }
        for (n, line) in text.split(separator: "\n").enumerated() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 3 || (f.count == 2 && f[0] == "invalidcp") else {
                throw CLIPTokenizer.LoadError(description: "\(source): line \(n + 1): expected tab-separated fields")
            }
            switch f[0] {
            case "html5": html5[String(f[1])] = try scalars(f[2], line: n + 1)
            case "ftfyhtml": ftfy[String(f[1])] = try scalars(f[2], line: n + 1)
            case "width": width[try scalar(f[1], line: n + 1)] = try scalars(f[2], line: n + 1)
            case "ligature": ligatures[try scalar(f[1], line: n + 1)] = try scalars(f[2], line: n + 1)
            case "charref": charrefs[UInt32(f[1], radix: 16) ?? 0] = try scalars(f[2], line: n + 1)
            case "invalidcp": invalid = Set(f[1].split(separator: " ").compactMap { UInt32($0, radix: 16) })
            default: throw CLIPTokenizer.LoadError(description: "\(source): line \(n + 1): unknown table '\(f[0])'")
            }
        }
        guard html5.count > 2000, !width.isEmpty, !ligatures.isEmpty, !charrefs.isEmpty, !invalid.isEmpty else {
            throw CLIPTokenizer.LoadError(description: "\(source): tables incomplete")
        }
        // ftfy decodes every html5 name ending in ';', plus its upper-cased extras.
        for (name, value) in html5 where name.hasSuffix(";") { ftfy[name] = value }
        self.html5 = html5
        self.ftfyEntities = ftfy
        self.width = width
        self.ligatures = ligatures
        self.charrefs = charrefs
        self.invalidCodePoints = invalid
        self.longestEntity = html5.keys.map(\.utf8.count).max() ?? 0
    }

    /// `whitespace_clean(basic_clean(text)).lower()` from CLIP's simple_tokenizer.
    func clean(_ text: String) -> [Unicode.Scalar] {
        var s = fixText(Array(text.unicodeScalars))
        s = htmlUnescape(htmlUnescape(s))
        // strip, collapse runs of regex \s into one space, strip again.
        s = Self.strip(s)
        var out = [Unicode.Scalar]()
        out.reserveCapacity(s.count)
        var inSpace = false
        for c in s {
            if Self.isRegexSpace(c) {
                if !inSpace { out.append(" ") }
                inSpace = true
            } else {
                out.append(c)
                inSpace = false
            }
        }
        return Self.lower(Self.strip(out))
    }

    // MARK: character classes

    /// Python `regex`'s `\s` (Unicode White_Space).
    static func isRegexSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Python's `str.isspace` (what `str.strip` removes): `\s` plus U+1C...U+1F.
    static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
        isRegexSpace(c) || (0x1C...0x1F).contains(c.value)
    }

    static func strip(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let first = s.firstIndex(where: { !isPythonSpace($0) }),
              let last = s.lastIndex(where: { !isPythonSpace($0) }) else { return [] }
        return Array(s[first...last])
    }

    /// Python's `str.lower`: full lower-case mappings, with capital sigma becoming final
    /// sigma at the end of a word (Unicode's Final_Sigma condition).
    static func lower(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(s.count)
        for (i, c) in s.enumerated() {
            if c.isASCII {
                out.append(c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 32)! : c)
            } else if c.value == 0x3A3 {
                out.append(isFinalSigma(s, at: i) ? "\u{3C2}" : "\u{3C3}")
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    private static func isFinalSigma(_ s: [Unicode.Scalar], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && s[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && s[j].properties.isCased else { return false }
        j = i + 1
        while j < s.count && s[j].properties.isCaseIgnorable { j += 1 }
        return !(j < s.count && s[j].properties.isCased)
    }

    // MARK: ftfy.fix_text

    /// ftfy splits text into lines and fixes each; HTML decoding stops for good at the first
    /// line containing '<'.
    func fixText(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        var unescape = true
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count && text[end] != "\n" { end += 1 }
            if end < text.count { end += 1 }
            var segment = Array(text[start..<end])
            if unescape && segment.contains("<") { unescape = false }
            while true {
                let before = segment
                if unescape { segment = ftfyUnescape(segment) }
                segment = fixSegment(segment)
                segment = Array(String(String.UnicodeScalarView(segment)).precomposedStringWithCanonicalMapping.unicodeScalars)
                if segment == before { break }
            }
            out.append(contentsOf: segment)
            start = end
        }
        return out
    }

    /// One pass of ftfy's character fixes (C1 controls .. control characters).
    func fixSegment(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var a = [Unicode.Scalar]()
        a.reserveCapacity(s.count)
        // fix_c1_controls, fix_latin_ligatures, fix_character_width, uncurl_quotes are
        // one-to-many maps applied in sequence; each output feeds the next map.
        for c in s {
            let c1 = Self.windows1252(c)
            for l in ligatures[c1.value] ?? [c1] {
                for w in width[l.value] ?? [l] {
                    switch w.value {
                    case 0x2BC, 0x2018...0x201B: a.append("'")
                    case 0x201C...0x201F: a.append("\"")
                    default: a.append(w)
                    }
                }
            }
        }
        // fix_line_breaks
        var b = [Unicode.Scalar]()
        b.reserveCapacity(a.count)
        var i = 0
        while i < a.count {
            switch a[i].value {
            case 0x0D:
                b.append("\n")
                if i + 1 < a.count && a[i + 1] == "\n" { i += 1 }
            case 0x2028, 0x2029, 0x85: b.append("\n")
            default: b.append(a[i])
            }
            i += 1
        }
        // remove_terminal_escapes: ESC '[' (digit | ';')* letter
        var c = [Unicode.Scalar]()
        c.reserveCapacity(b.count)
        i = 0
        while i < b.count {
            if b[i] == "\u{1B}" && i + 1 < b.count && b[i + 1] == "[" {
                var j = i + 2
                while j < b.count && (b[j] == ";" || b[j].properties.numericType == .decimal) { j += 1 }
                if j < b.count && b[j].isASCII && (b[j].properties.isAlphabetic) {
                    i = j + 1
                    continue
                }
            }
            c.append(b[i])
            i += 1
        }
        // remove_control_chars
        return c.filter { ch in
            switch ch.value {
            case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return false
            default: return true
            }
        }
    }

    /// C1 control characters read as the Windows-1252 bytes they most likely were
    /// (bytes Windows-1252 leaves undefined stay as they are).
    static func windows1252(_ c: Unicode.Scalar) -> Unicode.Scalar {
        guard c.value >= 0x80 && c.value <= 0x9F else { return c }
        let map: [UInt32] = [
            0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039, 0x152, 0x8D, 0x17D, 0x8F,
            0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178,
        ]
        return Unicode.Scalar(map[Int(c.value - 0x80)])!
    }

    static func isASCIIAlnum(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return false
        }
    }

    /// ftfy's `unescape_html`: entities matching `&#?[0-9A-Za-z]{1,24};`, decoded only when
    /// ftfy knows them (numeric ones only when html.unescape consumes the ';').
    func ftfyUnescape(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard s.contains("&") else { return s }
        var out = [Unicode.Scalar]()
        var i = 0
        while i < s.count {
            guard s[i] == "&" else { out.append(s[i]); i += 1; continue }
            var matchEnd: Int? = nil
            for start in (s.count > i + 1 && s[i + 1] == "#") ? [i + 2, i + 1] : [i + 1] {
                var j = start
                while j < s.count && Self.isASCIIAlnum(s[j]) { j += 1 }
                if j - start >= 1 && j - start <= 24 && j < s.count && s[j] == ";" { matchEnd = j + 1; break }
            }
            guard let end = matchEnd else { out.append(s[i]); i += 1; continue }
            let entity = Array(s[i..<end])
            let name = String(String.UnicodeScalarView(entity[1...]))
            if let value = ftfyEntities[name] {
                out.append(contentsOf: value)
            } else if entity.count > 1 && entity[1] == "#" {
                let decoded = htmlUnescape(entity)
                out.append(contentsOf: decoded.contains(";") ? entity : decoded)
            } else {
                out.append(contentsOf: entity)
            }
            i = end
        }
        return out
    }

    // MARK: html.unescape

    /// Python's `html.unescape`: `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)`.
    func htmlUnescape(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard s.contains("&") else { return s }
        var out = [Unicode.Scalar]()
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            guard s[i] == "&", i + 1 < s.count else { out.append(s[i]); i += 1; continue }
            if s[i + 1] == "#" {
                var j = i + 2
                var radix = 10
                if j < s.count && (s[j] == "x" || s[j] == "X") { radix = 16; j += 1 }
                let digitsStart = j
                while j < s.count && s[j].isASCII && (radix == 10
                    ? (0x30...0x39).contains(s[j].value)
                    : s[j].properties.isASCIIHexDigit) { j += 1 }
                if j == digitsStart {
                    // "&#x" without hex digits: no decimal alternative either unless digits follow '#'.
                    out.append(s[i]); i += 1; continue
                }
                var num: UInt64 = 0
                for d in s[digitsStart..<j] {
                    num = min(num &* UInt64(radix) &+ UInt64(Int(String(Character(d)), radix: radix)!), 0x7FFF_FFFF)
                }
                if j < s.count && s[j] == ";" { j += 1 }
                let value = UInt32(num)
                if let mapped = charrefs[value] {
                    out.append(contentsOf: mapped)
                } else if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF {
                    out.append("\u{FFFD}")
                } else if invalidCodePoints.contains(value) {
                    // dropped
                } else {
                    out.append(Unicode.Scalar(value)!)
                }
                i = j
                continue
            }
            // Named reference: up to 32 characters outside [\t\n\f <&#;], then an optional ';'.
            var j = i + 1
            while j < s.count && j - (i + 1) < 32 {
                switch s[j] {
                case "\t", "\n", "\u{0C}", " ", "<", "&", "#", ";": break
                default: j += 1; continue
                }
                break
            }
            guard j > i + 1 else { out.append(s[i]); i += 1; continue }
            if j < s.count && s[j] == ";" { j += 1 }
            let name = Array(s[(i + 1)..<j])
            let key = String(String.UnicodeScalarView(name))
            if let value = html5[key] {
                out.append(contentsOf: value)
            } else {
                var replaced = false
                var x = min(name.count - 1, longestEntity)
                while x > 1 {
                    if let value = html5[String(String.UnicodeScalarView(name[0..<x]))] {
                        out.append(contentsOf: value)
                        out.append(contentsOf: name[x...])
                        replaced = true
                        break
                    }
                    x -= 1
                }
                if !replaced { out.append("&"); out.append(contentsOf: name) }
            }
            i = j
        }
        return out
    }
}
