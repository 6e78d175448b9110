import Pixels

/// Maps colours to the nearest colour a `ColorMode` can show, by OKLab or RGB distance
/// (`ColorDistance`), with optional ordered (Bayer 8x8) dithering.
///
/// For the 256-colour palette the search is not over all 240 entries: the nearest colour in
/// the cube is close in RGB, so only the cube corners bracketing each channel (8) are
/// compared, together with the whole grey ramp (24).
///
/// ```swift
/// let q = PaletteQuantizer(mode: .xterm256)
/// q.color(RGB(250, 10, 10), x: 0, y: 0)   // .indexed(196)
/// ```
public struct PaletteQuantizer: Sendable {
    /// The colour mode quantised to.
    public let mode: ColorMode
    /// Whether ordered dithering is applied.
    public let dither: Bool

    /// How closeness between colours is judged.
    public let distance: ColorDistance

    private let systemPoints: [SIMD3<Float>]
    private let cubePoints: [SIMD3<Float>]
    private let greyPoints: [SIMD3<Float>]

    public init(mode: ColorMode, dither: Bool = false, distance: ColorDistance = .oklab) {
        self.mode = mode
        self.dither = dither
        self.distance = distance
        systemPoints = TerminalPalette.system.map { distance.point($0) }
        cubePoints = (16..<232).map { distance.point(TerminalPalette.color(UInt8($0))) }
        greyPoints = (232..<256).map { distance.point(TerminalPalette.color(UInt8($0))) }
    }

    /// The 8x8 Bayer matrix, values 0..<64.
    static let bayer: [Int] = {
        var m = [0]
        var n = 1
        while n < 8 {
            var next = [Int](repeating: 0, count: 4 * n * n)
            for y in 0..<n {
                for x in 0..<n {
                    let v = 4 * m[y * n + x]
                    next[y * 2 * n + x] = v
                    next[y * 2 * n + x + n] = v + 2
                    next[(y + n) * 2 * n + x] = v + 3
                    next[(y + n) * 2 * n + x + n] = v + 1
                }
            }
            m = next; n *= 2
        }
        return m
    }()

    /// The dither amplitude in 8-bit steps: about the spacing of the palette.
    private var ditherSpread: Float {
        switch mode {
        case .xterm256: return 40
        case .ansi16: return 96
        case .ansi8: return 128
        case .truecolor, .none: return 0
        }
    }

    /// The cell colour for `c` at pixel position (`x`, `y`) (position matters only when
    /// dithering).
    @inline(__always)
    public func color(_ c: RGB, x: Int, y: Int) -> CellColor {
        if mode == .truecolor { return .rgb(c) }
        var c = c
        if dither {
            let d = (Float(PaletteQuantizer.bayer[(y & 7) * 8 + (x & 7)]) + 0.5) / 64 - 0.5
            let o = d * ditherSpread
            c = RGB(clampByte(Float(c.r) + o), clampByte(Float(c.g) + o), clampByte(Float(c.b) + o))
        }
        return .indexed(index(c))
    }

    /// The palette index nearest to `c` (for `.truecolor` and `.none`, the 256-colour one).
    public func index(_ c: RGB) -> UInt8 {
        let point = distance.point(c)
        switch mode {
        case .ansi16: return nearest(point, in: systemPoints, count: 16)
        case .ansi8: return nearest(point, in: systemPoints, count: 8)
        default: return nearest256(c, point)
        }
    }

    private func nearest(_ lab: SIMD3<Float>, in table: [SIMD3<Float>], count: Int) -> UInt8 {
        var best = 0
        var bestD = Float.infinity
        for i in 0..<count {
            let d = distance2(lab, table[i])
            if d < bestD { bestD = d; best = i }
        }
        return UInt8(best)
    }

    private func nearest256(_ c: RGB, _ lab: SIMD3<Float>) -> UInt8 {
        let (r0, r1) = PaletteQuantizer.bracket(c.r)
        let (g0, g1) = PaletteQuantizer.bracket(c.g)
        let (b0, b1) = PaletteQuantizer.bracket(c.b)
        var best = 16
        var bestD = Float.infinity
        for r in [r0, r1] {
            for g in [g0, g1] {
                for b in [b0, b1] {
                    let i = 36 * r + 6 * g + b
                    let d = distance2(lab, cubePoints[i])
                    if d < bestD { bestD = d; best = 16 + i }
                }
            }
        }
        for g in 0..<24 {
            let d = distance2(lab, greyPoints[g])
            if d < bestD { bestD = d; best = 232 + g }
        }
        return UInt8(best)
    }

    /// The two cube levels (indices 0...5) around an 8-bit channel value.
    @inline(__always)
    static func bracket(_ v: UInt8) -> (Int, Int) {
        let v = Int(v)
        if v < 95 { return (0, 1) }
        let i = min(4, (v - 95) / 40 + 1)
        return (i, min(5, i + 1))
    }
}

/// How the distance between two colours is judged when picking a palette entry.
public enum ColorDistance: String, CaseIterable, Hashable, Sendable {
    /// Euclidean in OKLab: follows perceived difference.
    case oklab
    /// Euclidean on 8-bit sRGB codes: minimises the squared error PSNR counts.
    case rgb

    /// The distance a mode uses unless told otherwise: in 256 colours the palette is dense
    /// and the least-squares match looks right and scores the best PSNR; with only 16 or 8
    /// colours the perceptual match keeps lightness and hue more faithfully.
    public static func `default`(for mode: ColorMode) -> ColorDistance {
        mode == .xterm256 ? .rgb : .oklab
    }

    /// The colour as a point in this distance's space.
    @inline(__always)
    func point(_ c: RGB) -> SIMD3<Float> {
        switch self {
        case .oklab:
            let lab = OKLab(c)
            return SIMD3(lab.l, lab.a, lab.b)
        case .rgb:
            return SIMD3(Float(c.r), Float(c.g), Float(c.b))
        }
    }
}

@inline(__always)
func distance2(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float {
    let d = a - b
    return d.x * d.x + d.y * d.y + d.z * d.z
}

@inline(__always)
func clampByte(_ v: Float) -> UInt8 {
    v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v + 0.5))
}
