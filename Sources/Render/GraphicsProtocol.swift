/// How images reach the screen: one of three pixel protocols, or coloured character cells
/// (`CellCanvas`), which every terminal shows.
///
/// `choose` decides from facts the caller gathers (the environment, and the replies to
/// `detectionQuery`, read with a timeout); it is pure. Precedence, first match wins:
///
/// 1. `override` (a command-line or configuration choice), whatever else is known.
/// 2. `TERM` unset, empty or `dumb` -> cells.
/// 3. A kitty graphics reply confirming the query (`ESC _ G i=31;OK ESC \`) -> kitty.
/// 4. iTerm2 or WezTerm named by the environment (`TERM_PROGRAM` = `iTerm.app` or
///    `WezTerm`, or `LC_TERMINAL` = `iTerm2`, which survives ssh and tmux) -> iterm; these
///    answer no query for their image protocol.
/// 5. kitty named by the environment (`KITTY_WINDOW_ID` set, or `TERM` = `xterm-kitty`),
///    outside tmux, when no reply came at all (the queries were not sent) -> kitty. A DA1
///    reply without a kitty reply means the terminal does not speak the protocol (kitty's
///    documented test), whatever the environment says. Inside tmux, kitty named by the
///    environment (tmux keeps `KITTY_WINDOW_ID` from the kitty that started it) and tmux
///    letting sequences through (`allow-passthrough` on, `tmuxPassthrough`) -> kitty: there
///    the DA1 reply is tmux's own and the kitty reply does not come back through tmux.
/// 6. A DA1 reply listing attribute 4 (`ESC [ ? 62 ; 4 ; ... c`) -> sixel.
/// 7. Otherwise -> cells.
///
/// ```swift
/// let choice = GraphicsProtocol.choose(environment: env, deviceAttributes: replies,
///                                      kittyReply: replies, override: nil)
/// ```
public enum GraphicsProtocol: String, CaseIterable, Hashable, Sendable {
    /// The kitty graphics protocol (`KittyGraphicsEncoder`).
    case kitty
    /// DEC sixel graphics (`SixelEncoder`).
    case sixel
    /// iTerm2's inline images (`ITermImageEncoder`).
    case iterm
    /// Coloured character cells (`CellCanvas`, `AnsiWriter`).
    case cells

    /// Parses a command-line spelling: kitty, sixel, iterm|iterm2, cells|none|off|text.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "kitty": self = .kitty
        case "sixel", "sixels": self = .sixel
        case "iterm", "iterm2": self = .iterm
        case "cells", "none", "off", "text": self = .cells
        default: return nil
        }
    }

    /// Whether pixels are drawn (anything but cells).
    public var drawsPixels: Bool { self != .cells }

    /// The protocol to use, by the precedence above. `deviceAttributes` and `kittyReply` are
    /// the text the terminal sent back (nil when nothing came); both may be the same buffer
    /// holding every reply.
    /// Whether the environment names kitty: `KITTY_WINDOW_ID` set, or `TERM` = `xterm-kitty`.
    public static func environmentNamesKitty(_ environment: [String: String]) -> Bool {
        !(environment["KITTY_WINDOW_ID"] ?? "").isEmpty || (environment["TERM"] ?? "").lowercased() == "xterm-kitty"
    }

    public static func choose(environment: [String: String], deviceAttributes: String?, kittyReply: String?,
                              override: GraphicsProtocol?, tmuxPassthrough: Bool = false) -> GraphicsProtocol {
        if let override { return override }
        let term = (environment["TERM"] ?? "").lowercased()
        if term.isEmpty || term == "dumb" { return .cells }
        if let kittyReply, KittyGraphicsReply.parseAll(kittyReply).contains(where: { $0.confirmsSupport }) {
            return .kitty
        }
        let program = (environment["TERM_PROGRAM"] ?? "").lowercased()
        if program == "iterm.app" || program == "wezterm" || (environment["LC_TERMINAL"] ?? "").lowercased() == "iterm2" {
            return .iterm
        }
        let da1 = deviceAttributes.flatMap(DeviceAttributes.parse)
        let namesKitty = environmentNamesKitty(environment)
        let insideTmux = TmuxPassthrough.isInside(environment: environment)
        if namesKitty && !insideTmux && (kittyReply ?? "").isEmpty && (deviceAttributes ?? "").isEmpty {
            return .kitty
        }
        if namesKitty && insideTmux && tmuxPassthrough { return .kitty }
        if da1?.sixel == true { return .sixel }
        return .cells
    }

    /// The queries to write before reading the replies `choose` and the encoders need: the
    /// kitty support query (wrapped for tmux's passthrough inside tmux), the cell size
    /// (`CSI 16 t`), then DA1, which every terminal answers, so its reply ends the wait.
    public static func detectionQuery(tmuxPassthrough: Bool = false) -> [UInt8] {
        KittyGraphicsEncoder.queryString(tmuxPassthrough: tmuxPassthrough) + CellPixelSize.query + DeviceAttributes.query
    }
}
