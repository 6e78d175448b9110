/// How many colours a terminal can show, from 24-bit down to none.
///
/// ```swift
/// let mode = ColorMode(argument: "256")   // .xterm256
/// ```
public enum ColorMode: String, CaseIterable, Hashable, Sendable {
    /// 24-bit colour (`ESC[38;2;r;g;bm`).
    case truecolor
    /// xterm's 256-colour palette; only 16-255 are used, since terminals retheme 0-15.
    case xterm256
    /// The 16 system colours.
    case ansi16
    /// The 8 basic colours.
    case ansi8
    /// No colour: shades of one glyph by luminance.
    case none

    /// Parses a command-line spelling: truecolor|24bit|full, 256, 16, 8, none|mono.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "truecolor", "truecolour", "24bit", "24-bit", "full", "rgb": self = .truecolor
        case "256", "xterm256", "xterm-256": self = .xterm256
        case "16", "ansi16": self = .ansi16
        case "8", "ansi8": self = .ansi8
        case "none", "mono", "2", "0": self = .none
        default: return nil
        }
    }
}
