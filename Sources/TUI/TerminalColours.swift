import Render

/// How `RGB` colours reach the terminal: through its palette of 256, 16 or 8 colours, or not
/// at all.
///
/// The explorer draws through ncurses colour pairs. Truecolour is mapped to the xterm-256
/// palette (6x6x6 cube and 24 greys) on purpose: ncurses' direct-colour support depends on
/// `TERM=xterm-direct` terminfo entries that few systems set, while 256 colours work on every
/// modern terminal and through tmux and SSH unchanged.
public enum TerminalPalette: Sendable, Equatable {
    case colours256, colours16, colours8, none

    /// The palette for a terminal reporting `colours` colours.
    public init(colours: Int) {
        switch colours {
        case 256...: self = .colours256
        case 16...: self = .colours16
        case 8...: self = .colours8
        default: self = .none
        }
    }

    /// The xterm standard colours 0-15.
    static let standard: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0),
        RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205), RGB(229, 229, 229),
        RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0),
        RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The RGB value of xterm-256 palette entry `index`.
    static func rgb(ofIndex index: Int) -> RGB {
        if index < 16 { return standard[index] }
        if index >= 232 { let v = UInt8(8 + 10 * (index - 232)); return RGB(v, v, v) }
        let i = index - 16
        return RGB(UInt8(cubeLevels[i / 36]), UInt8(cubeLevels[(i / 6) % 6]), UInt8(cubeLevels[i % 6]))
    }

    static func distance(_ a: RGB, _ b: RGB) -> Int {
        let dr = Int(a.r) - Int(b.r), dg = Int(a.g) - Int(b.g), db = Int(a.b) - Int(b.b)
        return 2 * dr * dr + 4 * dg * dg + 3 * db * db
    }

    /// The palette index nearest to `colour`, or -1 (the terminal default) without colours.
    public func index(of colour: RGB) -> Int {
        switch self {
        case .none:
            return -1
        case .colours8, .colours16:
            let count = self == .colours8 ? 8 : 16
            return (0..<count).min { Self.distance(Self.standard[$0], colour) < Self.distance(Self.standard[$1], colour) }!
        case .colours256:
            func level(_ c: UInt8) -> Int {
                Self.cubeLevels.indices.min { abs(Self.cubeLevels[$0] - Int(c)) < abs(Self.cubeLevels[$1] - Int(c)) }!
            }
            let cube = 16 + 36 * level(colour.r) + 6 * level(colour.g) + level(colour.b)
            let mean = (Int(colour.r) + Int(colour.g) + Int(colour.b)) / 3
            let grey = 232 + max(0, min(23, (mean - 8 + 5) / 10))
            return Self.distance(Self.rgb(ofIndex: grey), colour) < Self.distance(Self.rgb(ofIndex: cube), colour) ? grey : cube
        }
    }

    /// The palette index of a cell colour (-1 for the terminal default).
    public func index(of colour: CellColor) -> Int {
        switch colour {
        case .terminalDefault: return -1
        case .rgb(let rgb): return index(of: rgb)
        case .indexed(let i):
            switch self {
            case .none: return -1
            case .colours256: return Int(i)
            case .colours16, .colours8: return Int(i) < (self == .colours8 ? 8 : 16) ? Int(i) : index(of: Self.rgb(ofIndex: Int(i)))
            }
        }
    }
}
