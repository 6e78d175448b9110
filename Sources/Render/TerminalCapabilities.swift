/// What a terminal can show, worked out from its environment variables: the colour mode and
/// whether the locale can carry the `▀` half block (UTF-8). A value passed to whoever draws,
/// like chafa's term info, never a global.
///
/// Rules, first match wins for colours: `NO_COLOR` set and non-empty -> none;
/// `COLORTERM` = truecolor/24bit, or a terminal known for 24-bit colour (kitty, WezTerm,
/// iTerm2, VS Code, alacritty, foot, `TERM` ending in `-direct`) -> truecolor; `TERM` with
/// `256color` -> xterm256; `dumb` or no `TERM` -> none; `linux`, `xterm`, `screen`, `tmux`,
/// `rxvt`, `vt` ... -> ansi16 (vt100/vt220 -> none); anything else -> ansi16. UTF-8 is read
/// from the first non-empty of `LC_ALL`, `LC_CTYPE`, `LANG`.
///
/// ```swift
/// let caps = TerminalCapabilities.detect(environment: ProcessInfo.processInfo.environment)
/// let config = CanvasConfig(capabilities: caps)
/// ```
public struct TerminalCapabilities: Hashable, Sendable {
    /// The colours the terminal shows.
    public var colorMode: ColorMode
    /// Whether the locale is UTF-8, so `▀` and the shade glyphs can be printed.
    public var unicode: Bool

    public init(colorMode: ColorMode, unicode: Bool) {
        self.colorMode = colorMode
        self.unicode = unicode
    }

    /// The capabilities implied by `environment` (pure: pass `ProcessInfo`'s in production,
    /// a literal in tests).
    public static func detect(environment env: [String: String]) -> TerminalCapabilities {
        TerminalCapabilities(colorMode: colorMode(env), unicode: isUTF8Locale(env))
    }

    static func colorMode(_ env: [String: String]) -> ColorMode {
        if let noColor = env["NO_COLOR"], !noColor.isEmpty { return .none }
        let colorterm = (env["COLORTERM"] ?? "").lowercased()
        if colorterm == "truecolor" || colorterm == "24bit" { return .truecolor }
        let term = (env["TERM"] ?? "").lowercased()
        let program = (env["TERM_PROGRAM"] ?? "").lowercased()
        if env["KITTY_WINDOW_ID"] != nil || env["WEZTERM_EXECUTABLE"] != nil
            || ["iterm.app", "wezterm", "vscode", "ghostty"].contains(program)
            || term.hasSuffix("-direct") || term.hasPrefix("xterm-kitty") || term.hasPrefix("alacritty")
            || term.hasPrefix("foot") || term.hasPrefix("xterm-ghostty") {
            return .truecolor
        }
        if term.contains("256color") || term.contains("256colour") { return .xterm256 }
        if term.isEmpty || term == "dumb" { return .none }
        if term.hasPrefix("vt100") || term.hasPrefix("vt220") || term.hasPrefix("vt52") { return .none }
        return .ansi16
    }

    static func isUTF8Locale(_ env: [String: String]) -> Bool {
        for key in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let value = env[key], !value.isEmpty {
                let v = value.lowercased()
                return v.contains("utf-8") || v.contains("utf8")
            }
        }
        return false
    }
}
