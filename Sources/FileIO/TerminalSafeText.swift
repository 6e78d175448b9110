/// Text taken from a file (tensor names, dtype strings, class names, metadata, archive member
/// names) made safe to print in a one-line error message: control characters (C0, DEL and
/// C1) are shown as `\xNN`, and Unicode's bidirectional embeddings, overrides and isolates as
/// `\u{NNNN}`, so a hostile name can neither move the cursor, recolour or clear the terminal,
/// break the line, nor reorder what is shown. A path's non-UTF-8 byte (`PathBytes`'s escape
/// scalars) is shown as `\xNN` too, never raw. Everything else is kept as it is.
///
/// The error types of the model files (`SafeTensorsError`, `RectifierFileError`,
/// `TorchCheckpointError`) pass their whole description through it.
///
/// ```swift
/// terminalSafe("visual\u{1B}[2J.proj")   // #"visual\x1B[2J.proj"#
/// terminalSafe(PathBytes.string([0x63, 0x61, 0x66, 0xE9]))   // #"caf\xE9"#
/// ```
public func terminalSafe(_ text: String) -> String {
    func unsafe(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return PathBytes.escapedByte(s) != nil
        }
    }
    guard text.unicodeScalars.contains(where: unsafe) else { return text }
    func hex(_ v: UInt32, digits: Int) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
    var out = String.UnicodeScalarView()
    for s in text.unicodeScalars {
        if !unsafe(s) {
            out.append(s)
        } else if let byte = PathBytes.escapedByte(s) {
            out.append(contentsOf: "\\x\(hex(UInt32(byte), digits: 2))".unicodeScalars)
        } else if s.value <= 0xFF {
            out.append(contentsOf: "\\x\(hex(s.value, digits: 2))".unicodeScalars)
        } else {
            out.append(contentsOf: "\\u{\(hex(s.value, digits: 4))}".unicodeScalars)
        }
    }
    return String(out)
}
