import Pixels

/// The colours terminals show for palette indices: xterm's defaults for the 16 system
/// colours, the 6x6x6 cube (levels 0, 95, 135, 175, 215, 255) at 16-231 and the 24-step
/// grey ramp (8, 18, ..., 238) at 232-255.
///
/// ```swift
/// TerminalPalette.color(196)   // RGB(255, 0, 0)
/// ```
public enum TerminalPalette {
    /// xterm's default system colours 0-15.
    public static let system: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0),
        RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205), RGB(229, 229, 229),
        RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0),
        RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]

    /// The channel levels of the 6x6x6 colour cube.
    public static let cubeLevels: [UInt8] = [0, 95, 135, 175, 215, 255]

    /// The colour of palette index `index`.
    public static func color(_ index: UInt8) -> RGB {
        let i = Int(index)
        if i < 16 { return system[i] }
        if i < 232 {
            let c = i - 16
            return RGB(cubeLevels[c / 36], cubeLevels[(c / 6) % 6], cubeLevels[c % 6])
        }
        let v = UInt8(8 + 10 * (i - 232))
        return RGB(v, v, v)
    }

    /// All 256 colours.
    public static let all: [RGB] = (0...255).map { color(UInt8($0)) }
}
