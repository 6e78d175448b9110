/// The terminal's answer to a primary device attributes request (DA1, `ESC [ c`):
/// `ESC [ ? <class> ; <attribute> ; ... c`. Attribute 4 means sixel graphics.
///
/// ```swift
/// DeviceAttributes.parse("\u{1B}[?62;4;22c")?.sixel   // true
/// ```
public struct DeviceAttributes: Hashable, Sendable {
    /// The request: `ESC [ c`. Every terminal answers it, so it is sent last, after the other
    /// queries, and its answer marks the end of the replies.
    public static let query: [UInt8] = [0x1B, UInt8(ascii: "["), UInt8(ascii: "c")]

    /// The first parameter: the conformance level (1 VT100, 6 VT102, 62 VT220, 63 VT320,
    /// 64 VT420, 65 VT5xx).
    public var terminalClass: Int
    /// The parameters after the first.
    public var attributes: [Int]

    public init(terminalClass: Int, attributes: [Int]) {
        self.terminalClass = terminalClass
        self.attributes = attributes
    }

    /// Whether the terminal reports sixel graphics: attribute 4 in a VT220-or-later reply
    /// (a VT100's `?1;4c` lists options, not attributes, and is not sixel).
    public var sixel: Bool { terminalClass >= 62 && attributes.contains(4) }

    /// The first DA1 reply in `text` (which may hold other replies around it), or nil.
    public static func parse(_ text: String) -> DeviceAttributes? {
        for csi in ControlSequence.csis(in: Array(text.utf8)) where csi.privateMarker == UInt8(ascii: "?") && csi.final == UInt8(ascii: "c") {
            guard let params = csi.numbers, let first = params.first else { continue }
            return DeviceAttributes(terminalClass: first, attributes: Array(params.dropFirst()))
        }
        return nil
    }
}

/// A kitty graphics reply: `ESC _ G i=<id>[,p=<placement>];<message> ESC \`, the message
/// `OK` or an error such as `ENOENT:...`.
///
/// ```swift
/// KittyGraphicsReply.parse("\u{1B}_Gi=31;OK\u{1B}\\")?.isOK   // true
/// ```
public struct KittyGraphicsReply: Hashable, Sendable {
    /// The `i=` value, if any.
    public var imageID: UInt32?
    /// The `p=` value, if any.
    public var placementID: UInt32?
    /// The text after `;`.
    public var message: String

    public init(imageID: UInt32?, placementID: UInt32? = nil, message: String) {
        self.imageID = imageID
        self.placementID = placementID
        self.message = message
    }

    /// Whether the command succeeded.
    public var isOK: Bool { message == "OK" }

    /// Whether this is a successful answer to `KittyGraphicsEncoder.queryString`.
    public var confirmsSupport: Bool { isOK && imageID == KittyGraphicsEncoder.queryImageID }

    /// Every kitty graphics reply in `text`, in order.
    public static func parseAll(_ text: String) -> [KittyGraphicsReply] {
        let bytes = Array(text.utf8)
        var replies: [KittyGraphicsReply] = []
        var i = 0
        while i + 2 < bytes.count {
            guard bytes[i] == 0x1B, bytes[i + 1] == UInt8(ascii: "_"), bytes[i + 2] == UInt8(ascii: "G") else { i += 1; continue }
            var j = i + 3
            while j + 1 < bytes.count && !(bytes[j] == 0x1B && bytes[j + 1] == UInt8(ascii: "\\")) { j += 1 }
            guard j + 1 < bytes.count else { break }
            let body = bytes[(i + 3)..<j]
            if let semicolon = body.firstIndex(of: UInt8(ascii: ";")) {
                var reply = KittyGraphicsReply(imageID: nil, message: String(decoding: body[(semicolon + 1)...], as: UTF8.self))
                for pair in body[..<semicolon].split(separator: UInt8(ascii: ",")) {
                    let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    let value = UInt32(String(decoding: parts[1], as: UTF8.self))
                    switch String(decoding: parts[0], as: UTF8.self) {
                    case "i": reply.imageID = value
                    case "p": reply.placementID = value
                    default: break
                    }
                }
                replies.append(reply)
            }
            i = j + 2
        }
        return replies
    }

    /// The first kitty graphics reply in `text`, or nil.
    public static func parse(_ text: String) -> KittyGraphicsReply? { parseAll(text).first }
}

/// The size of one character cell in pixels, from the reply to `CSI 16 t`
/// (`ESC [ 6 ; <height> ; <width> t`), or worked out from the text area's size (`CSI 14 t`,
/// `ESC [ 4 ; <height> ; <width> t`) and the grid. Sizes images for sixel and kitty panels.
///
/// ```swift
/// CellPixelSize.parse("\u{1B}[6;20;10t")   // width 10, height 20
/// ```
public struct CellPixelSize: Hashable, Sendable {
    /// The request for the cell size: `ESC [ 16 t`.
    public static let query: [UInt8] = Array("\u{1B}[16t".utf8)
    /// The request for the text area's size in pixels: `ESC [ 14 t`.
    public static let textAreaQuery: [UInt8] = Array("\u{1B}[14t".utf8)

    /// Pixels across a cell.
    public var width: Int
    /// Pixels down a cell.
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// The cell size in the first `ESC [ 6 ; h ; w t` reply in `text`; nil if there is none or
    /// it reports a zero size (as some terminals do).
    public static func parse(_ text: String) -> CellPixelSize? {
        windowReport(text, kind: 6).map { CellPixelSize(width: $0.width, height: $0.height) }
    }

    /// The cell size implied by the first `ESC [ 4 ; h ; w t` reply in `text` for a grid of
    /// `columns` x `rows` cells (whole pixels, rounded down).
    public static func parse(textAreaReply text: String, columns: Int, rows: Int) -> CellPixelSize? {
        guard columns > 0, rows > 0, let area = windowReport(text, kind: 4) else { return nil }
        let size = CellPixelSize(width: area.width / columns, height: area.height / rows)
        return size.width > 0 && size.height > 0 ? size : nil
    }

    private static func windowReport(_ text: String, kind: Int) -> (width: Int, height: Int)? {
        for csi in ControlSequence.csis(in: Array(text.utf8)) where csi.privateMarker == nil && csi.final == UInt8(ascii: "t") {
            guard let p = csi.numbers, p.count == 3, p[0] == kind else { continue }
            return p[1] > 0 && p[2] > 0 ? (p[2], p[1]) : nil
        }
        return nil
    }
}

/// The number of sixel colour registers, from xterm's XTSMGRAPHICS: request
/// `ESC [ ? 1 ; 1 ; 0 S`, reply `ESC [ ? 1 ; 0 ; <count> S` (status 0 = success).
///
/// ```swift
/// SixelColorRegisters.parse("\u{1B}[?1;0;1024S")   // 1024
/// ```
public enum SixelColorRegisters {
    /// The request: read the number of colour registers.
    public static let query: [UInt8] = Array("\u{1B}[?1;1;0S".utf8)

    /// The register count in the first successful reply in `text`, or nil.
    public static func parse(_ text: String) -> Int? {
        for csi in ControlSequence.csis(in: Array(text.utf8)) where csi.privateMarker == UInt8(ascii: "?") && csi.final == UInt8(ascii: "S") {
            guard let p = csi.numbers, p.count >= 3, p[0] == 1, p[1] == 0, p[2] > 0 else { continue }
            return p[2]
        }
        return nil
    }
}

/// A CSI sequence found in terminal input: `ESC [`, an optional private marker (`?`, `>`,
/// `<`, `=`), parameter bytes, a final byte.
struct ControlSequence {
    var privateMarker: UInt8?
    var parameters: [UInt8]
    var final: UInt8

    /// The `;`-separated parameters as numbers (an empty one reads as 0); nil if any is not
    /// a decimal number that fits.
    var numbers: [Int]? {
        var out: [Int] = []
        for field in parameters.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
            if field.isEmpty { out.append(0); continue }
            guard field.count <= 9, field.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            out.append(field.reduce(0) { $0 * 10 + Int($1 - 48) })
        }
        return out
    }

    /// Every complete CSI sequence in `bytes`, in order; other bytes are skipped.
    static func csis(in bytes: [UInt8]) -> [ControlSequence] {
        var found: [ControlSequence] = []
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == 0x1B, bytes[i + 1] == UInt8(ascii: "[") else { i += 1; continue }
            var j = i + 2
            var marker: UInt8?
            if j < bytes.count, [UInt8(ascii: "?"), UInt8(ascii: ">"), UInt8(ascii: "<"), UInt8(ascii: "=")].contains(bytes[j]) {
                marker = bytes[j]; j += 1
            }
            let start = j
            while j < bytes.count && bytes[j] >= 0x30 && bytes[j] <= 0x3F { j += 1 }   // parameter bytes
            let end = j
            while j < bytes.count && bytes[j] >= 0x20 && bytes[j] <= 0x2F { j += 1 }   // intermediates
            guard j < bytes.count else { break }
            if bytes[j] >= 0x40 && bytes[j] <= 0x7E {
                found.append(ControlSequence(privateMarker: marker, parameters: Array(bytes[start..<end]), final: bytes[j]))
                i = j + 1
            } else {
                i = j   // not a CSI after all; resume at the odd byte
            }
        }
        return found
    }
}
