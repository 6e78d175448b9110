/// Wraps an escape sequence so that tmux hands it to the terminal outside untouched:
/// `ESC P tmux ;` + the sequence with every ESC doubled + `ESC \`. tmux passes it on only
/// with `set -g allow-passthrough on` (tmux 3.3 and later); without it the wrapped sequence
/// is dropped, never shown as text.
///
/// Used for the kitty graphics commands and the iTerm2 image escape, which tmux does not
/// understand itself. Not for sixel: tmux 3.4 and later draw sixel images themselves.
///
/// ```swift
/// TmuxPassthrough.wrap([0x1B, 0x5F, 0x47])   // ESC P t m u x ; ESC ESC _ G ESC \
/// ```
public enum TmuxPassthrough {
    /// `sequence` wrapped for tmux's passthrough.
    public static func wrap(_ sequence: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1B, UInt8(ascii: "P")]
        out.append(contentsOf: Array("tmux;".utf8))
        out.reserveCapacity(sequence.count + 16)
        for byte in sequence {
            if byte == 0x1B { out.append(0x1B) }
            out.append(byte)
        }
        out.append(contentsOf: [0x1B, UInt8(ascii: "\\")])
        return out
    }

    /// Whether the environment is a tmux pane (`TMUX` set and non-empty).
    public static func isInside(environment: [String: String]) -> Bool {
        !(environment["TMUX"] ?? "").isEmpty
    }
}
