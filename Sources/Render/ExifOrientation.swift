import Pixels

/// The EXIF orientation of a photo (TIFF tag 0x0112), read from a JPEG's APP1 "Exif" segment,
/// and the transform that makes the stored pixels upright.
///
/// | value | stored image is | to show it |
/// |---|---|---|
/// | 1 | upright | nothing |
/// | 2 | mirrored | flip left-right |
/// | 3 | upside down | rotate 180 |
/// | 4 | mirrored upside down | flip top-bottom |
/// | 5 | transposed | transpose |
/// | 6 | turned left | rotate 90 clockwise |
/// | 7 | transversed | transverse |
/// | 8 | turned right | rotate 90 anticlockwise |
///
/// ```swift
/// ExifOrientation(jpeg: bytes).upright(decoded)
/// ```
public struct ExifOrientation: Hashable, Sendable {
    /// The tag's value, 1...8 (1 when absent or invalid).
    public let value: Int

    public init(value: Int) { self.value = (1...8).contains(value) ? value : 1 }

    /// The orientation stored in a JPEG file, 1 when it has none or it cannot be parsed.
    public init(jpeg bytes: [UInt8]) {
        self.init(value: ExifOrientation.parse(bytes) ?? 1)
    }

    /// The stored image turned upright.
    public func upright(_ image: RGBImage) -> RGBImage {
        if value == 1 { return image }
        let (sw, sh) = (image.width, image.height)
        let swaps = value >= 5
        let (ow, oh) = swaps ? (sh, sw) : (sw, sh)
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let (sx, sy): (Int, Int)
                        switch value {
                        case 2: (sx, sy) = (sw - 1 - x, y)
                        case 3: (sx, sy) = (sw - 1 - x, sh - 1 - y)
                        case 4: (sx, sy) = (x, sh - 1 - y)
                        case 5: (sx, sy) = (y, x)
                        case 6: (sx, sy) = (y, sh - 1 - x)
                        case 7: (sx, sy) = (sw - 1 - y, sh - 1 - x)
                        default: (sx, sy) = (sw - 1 - y, x)
                        }
                        let s = 3 * (sy * sw + sx), d = 3 * (y * ow + x)
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)
    }

    /// Walks the JPEG markers up to the first scan, looking for APP1 "Exif\0\0" and, inside
    /// its TIFF structure, IFD0's orientation entry.
    static func parse(_ b: [UInt8]) -> Int? {
        guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var i = 2
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { return nil }
            if marker == 0xE1, length >= 8,
               Array(b[(i + 4)..<(i + 10)]) == [0x45, 0x78, 0x69, 0x66, 0, 0] {
                return parseTIFF(Array(b[(i + 10)..<(i + 2 + length)]))
            }
            i += 2 + length
        }
        return nil
    }

    private static func parseTIFF(_ t: [UInt8]) -> Int? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let e = ifd + 2 + 12 * entry
            guard let tag = u16(e) else { return nil }
            if tag == 0x0112 {
                guard u16(e + 2) == 3, let value = u16(e + 8) else { return nil }
                return value
            }
        }
        return nil
    }
}
