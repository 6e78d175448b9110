import Pixels

/// Encodes an image as DEC sixel graphics: a device control string the terminal draws at the
/// cursor, one pixel per image pixel.
///
/// Bytes: `ESC P 0;1;0 q` (aspect from the raster attributes; pixels left unset keep the
/// background), raster attributes `"1;1;W;H` (1:1 pixels, width, height), one colour
/// register per palette entry the image uses, `#n;2;r;g;b` with channels in percent
/// (0-100), then six-row bands top to bottom, separated by `-` (graphics new line). In a
/// band, each colour present is selected with `#n` and followed by one sixel character per
/// column (`?` + bits, bit 0 the band's top row) up to its last set column, runs of four or
/// more written `!count` + character; colours of one band are separated by `$` (graphics
/// carriage return). The string ends with ST (`ESC \`).
///
/// Colours: sixel channels have 101 levels, so the palette is made on that grid
/// (`SixelEncoder.representable`): at most `maxColors` colours by median cut
/// (`MedianCutQuantizer`), each pixel then mapped to the nearest, optionally with ordered
/// dithering. `quantize` returns exactly the image the bytes show, so a decoder reading the
/// bytes back gets `quantize(image).expanded()` pixel for pixel.
///
/// ```swift
/// let bytes = try SixelEncoder().encode(panel)   // write to the terminal at the cursor
/// ```
public struct SixelEncoder: Hashable, Sendable {
    /// The largest image encoded by default: 16 megapixels (4096x4096).
    public static let defaultMaxPixels = 4096 * 4096
    /// The widest or tallest image encoded by default (the encoder keeps a column mask per
    /// colour of a band, so memory grows with the width).
    public static let defaultMaxSide = 10000
    /// The most colour registers used (xterm and most sixel terminals have 256 or more).
    public static let maxRegisters = 256
    /// The longest run one repeat introducer may carry (DEC's limit).
    static let maxRepeat = 32767

    /// The largest palette, 1...256.
    public var maxColors: Int
    /// Whether pixels are mapped to the palette with ordered (Bayer 8x8) dithering.
    public var dither: Bool
    /// The largest image accepted, in pixels.
    public var maxPixels: Int
    /// The largest width or height accepted.
    public var maxSide: Int

    public init(maxColors: Int = 256, dither: Bool = false, maxPixels: Int = SixelEncoder.defaultMaxPixels,
                maxSide: Int = SixelEncoder.defaultMaxSide) {
        self.maxColors = maxColors
        self.dither = dither
        self.maxPixels = maxPixels
        self.maxSide = maxSide
    }

    /// The percent (0-100) nearest to an 8-bit channel value.
    @inline(__always)
    public static func percent(_ v: UInt8) -> Int { (Int(v) * 100 + 127) / 255 }

    /// The 8-bit value a terminal shows for a percent channel: `round(p * 255 / 100)`.
    @inline(__always)
    public static func byte(percent p: Int) -> UInt8 { UInt8((min(100, max(0, p)) * 255 + 50) / 100) }

    /// The colour a sixel register can hold nearest to `c` (each channel on the percent grid);
    /// `representable(representable(c)) == representable(c)`.
    public static func representable(_ c: RGB) -> RGB {
        RGB(byte(percent: percent(c.r)), byte(percent: percent(c.g)), byte(percent: percent(c.b)))
    }

    /// `image` reduced to the palette the sixel carries: at most `maxColors` colours, all
    /// representable, without duplicates. An image with no more distinct representable
    /// colours than `maxColors` keeps every pixel's representable colour.
    public func quantize(_ image: RGBImage) throws -> IndexedImage {
        try validate(width: image.width, height: image.height)
        guard (1...SixelEncoder.maxRegisters).contains(maxColors) else {
            throw RenderError(file: "sixel", .invalidArgument(
                "a sixel palette holds 1 to \(SixelEncoder.maxRegisters) colours, not \(maxColors)"))
        }
        // Median cut over colours already on the sixel grid, so that an image with few
        // colours keeps each of them.
        let grid = (0...255).map { SixelEncoder.byte(percent: SixelEncoder.percent(UInt8($0))) }
        let snapped = RGBImage(width: image.width, height: image.height, pixels: image.pixels.map { grid[Int($0)] })
        let cut = MedianCutQuantizer(maxColors: maxColors, dither: dither)
        var seen = Set<RGB>()
        var palette: [RGB] = []
        for c in cut.palette(for: snapped).map(SixelEncoder.representable) where seen.insert(c).inserted {
            palette.append(c)
        }
        // Dithering perturbs the original pixels; without it the snapped ones map exactly.
        return cut.map(dither ? image : snapped, to: palette)
    }

    /// The sixel bytes of `image`, quantised by `quantize`.
    public func encode(_ image: RGBImage) throws -> [UInt8] {
        try encode(quantize(image))
    }

    /// The sixel bytes of a palette image: 1 to 256 palette entries, each shown as its
    /// `representable` colour; every index must have an entry.
    public func encode(_ image: IndexedImage) throws -> [UInt8] {
        try validate(width: image.width, height: image.height)
        let colors = image.palette.count
        guard (1...SixelEncoder.maxRegisters).contains(colors) else {
            throw RenderError(file: "sixel", .invalidArgument(
                "a sixel palette holds 1 to \(SixelEncoder.maxRegisters) colours, not \(colors)"))
        }
        var used = [Bool](repeating: false, count: 256)
        for index in image.indices { used[Int(index)] = true }
        if let bad = (colors..<256).first(where: { used[$0] }) {
            throw RenderError(file: "sixel", .invalidArgument("index \(bad) is past the \(colors)-colour palette"))
        }

        let (width, height) = (image.width, image.height)
        var out: [UInt8] = []
        out.reserveCapacity(width * height / 2 + 64)
        out.append(contentsOf: [0x1B, UInt8(ascii: "P")])
        out.append(contentsOf: Array("0;1;0q\"1;1;".utf8))
        SixelEncoder.appendNumber(width, to: &out)
        out.append(UInt8(ascii: ";"))
        SixelEncoder.appendNumber(height, to: &out)
        for n in 0..<colors where used[n] {
            let c = image.palette[n]
            out.append(UInt8(ascii: "#"))
            SixelEncoder.appendNumber(n, to: &out)
            out.append(contentsOf: [UInt8(ascii: ";"), UInt8(ascii: "2")])
            for v in [c.r, c.g, c.b] {
                out.append(UInt8(ascii: ";"))
                SixelEncoder.appendNumber(SixelEncoder.percent(v), to: &out)
            }
        }

        // Per band: the colours present (in palette order), each with a bit mask per column.
        var slotOf = [Int](repeating: -1, count: 256)
        var masks = [UInt8](repeating: 0, count: min(256, 6 * width) * width)
        var present: [Int] = []
        image.indices.withUnsafeBufferPointer { indices in
            for band in stride(from: 0, to: height, by: 6) {
                if band > 0 { out.append(UInt8(ascii: "-")) }
                present.removeAll(keepingCapacity: true)
                let rows = min(6, height - band)
                for r in 0..<rows {
                    let rowStart = (band + r) * width
                    let bit = UInt8(1) << UInt8(r)
                    for x in 0..<width {
                        let n = Int(indices[rowStart + x])
                        var slot = slotOf[n]
                        if slot < 0 {
                            slot = present.count
                            slotOf[n] = slot
                            present.append(n)
                        }
                        masks[slot * width + x] |= bit
                    }
                }
                present.sort()
                for (k, n) in present.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: "$")) }
                    out.append(UInt8(ascii: "#"))
                    SixelEncoder.appendNumber(n, to: &out)
                    let base = slotOf[n] * width
                    var last = width - 1
                    while masks[base + last] == 0 { last -= 1 }   // a present colour has a set column
                    var x = 0
                    while x <= last {
                        let m = masks[base + x]
                        var run = 1
                        while x + run <= last && masks[base + x + run] == m && run < SixelEncoder.maxRepeat { run += 1 }
                        SixelEncoder.appendRun(63 + m, count: run, to: &out)
                        x += run
                    }
                    for x in 0..<width { masks[base + x] = 0 }
                }
                for n in present { slotOf[n] = -1 }
            }
        }
        out.append(contentsOf: [0x1B, UInt8(ascii: "\\")])
        return out
    }

    private func validate(width: Int, height: Int) throws {
        guard width > 0 && height > 0 else {
            throw RenderError(file: "sixel", .invalidArgument("a sixel image needs at least 1x1 pixels, not \(width)x\(height)"))
        }
        guard width <= maxSide && height <= maxSide else {
            throw RenderError(file: "sixel", .invalidArgument(
                "image is \(width)x\(height) pixels, over the sixel limit of \(maxSide) pixels a side"))
        }
        guard width * height <= maxPixels else {
            throw RenderError(file: "sixel", .tooLarge(width: width, height: height, limit: maxPixels))
        }
    }

    @inline(__always)
    static func appendRun(_ char: UInt8, count: Int, to out: inout [UInt8]) {
        if count >= 4 {
            out.append(UInt8(ascii: "!"))
            appendNumber(count, to: &out)
            out.append(char)
        } else {
            for _ in 0..<count { out.append(char) }
        }
    }

    static func appendNumber(_ n: Int, to out: inout [UInt8]) {
        if n >= 10 { appendNumber(n / 10, to: &out) }
        out.append(UInt8(48 + n % 10))
    }
}
