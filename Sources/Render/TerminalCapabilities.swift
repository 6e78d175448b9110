/// What a terminal can show, worked out from its environment variables: the colour mode and
/// whether the locale can carry the `▀` half block (UTF-8). A value passed to whoever draws,
/// like chafa's term info, never a global.
///
/// Rules, first match wins for colours: `NO_COLOR` set and non-empty -> none;
/// `COLORTERM` = truecolor/24bit, or a terminal known for 24-bit colour (kitty, WezTerm,
/// iTerm2, VS Code, alacritty, foot, `TERM` ending in `-direct`) -> truecolor; `TERM` with
/// `256color` -> xterm256; `dumb` or no `TERM` -> none; `linux`, `xterm`, `screen`, `tmux`,
/// `rxvt` -> ansi16; vt100/vt220 -> none; any other name -> the terminfo entry's colour
/// count when a lookup is given (`Terminfo.maxColors`), else ansi16. UTF-8 is read from the
/// first non-empty of `LC_ALL`, `LC_CTYPE`, `LANG`.
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
    /// a literal in tests). `terminfoColors`, when given, answers the colour count of a
    /// terminal name the rules do not know.
    public static func detect(environment env: [String: String],
                              terminfoColors: ((String, [String: String]) -> Int?)? = nil) -> TerminalCapabilities {
        TerminalCapabilities(colorMode: colorMode(env, terminfoColors: terminfoColors), unicode: isUTF8Locale(env))
    }

    static func colorMode(_ env: [String: String], terminfoColors: ((String, [String: String]) -> Int?)?) -> ColorMode {
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
        let known = ["xterm", "screen", "tmux", "rxvt", "linux", "putty", "konsole", "gnome", "eterm", "cygwin"]
        if !known.contains(where: { term.hasPrefix($0) }), let lookup = terminfoColors,
           let colors = lookup(env["TERM"] ?? "", env) {
            if colors >= 1 << 24 { return .truecolor }
            if colors >= 256 { return .xterm256 }
            if colors >= 16 { return .ansi16 }
            if colors >= 8 { return .ansi8 }
            return .none
        }
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
