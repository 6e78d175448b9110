import Pixels
import Foundation

/// Reads ANSI half-block text back into pixels, to measure what a renderer (ours, chafa,
/// timg) actually shows.
///
/// Understands `▀`, `▄`, `█` and space, SGR colours (24-bit, 256, 16, defaults, reset and
/// inverse video) and skips other escape sequences. Each text row gives two pixel rows;
/// the terminal's default colours are taken as `defaultColor`.
///
/// ```swift
/// let pixels = AnsiPixels.decode(AnsiWriter().string(grid))
/// let psnr = ImageQuality.psnr(pixels, reference)
/// ```
public enum AnsiPixels {
    /// The pixels shown by `text` (`width` = the longest row, `height` = 2 x rows).
    public static func decode(_ text: String, defaultColor: RGB = RGB(0, 0, 0)) -> RGBImage {
        var rows: [[(RGB, RGB)]] = [[]]
        var fg: RGB? = nil, bg: RGB? = nil
        var inverse = false
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if s == "\u{1B}" {
                i += 1
                guard i < scalars.count else { break }
                if scalars[i] == "[" {
                    i += 1
                    var params = ""
                    while i < scalars.count, !(0x40...0x7E).contains(scalars[i].value) {
                        params.unicodeScalars.append(scalars[i]); i += 1
                    }
                    if i < scalars.count, scalars[i] == "m", !params.hasPrefix("?") {
                        applySGR(params, fg: &fg, bg: &bg, inverse: &inverse)
                    }
                }
                i += 1
                continue
            }
            i += 1
            if s == "\n" { rows.append([]); continue }
            if s == "\r" { continue }
            var f = fg ?? defaultColor, b = bg ?? defaultColor
            if inverse { swap(&f, &b) }
            switch s {
            case "▀": rows[rows.count - 1].append((f, b))
            case "▄": rows[rows.count - 1].append((b, f))
            case "█": rows[rows.count - 1].append((f, f))
            default: rows[rows.count - 1].append((b, b))
            }
        }
        while let last = rows.last, last.isEmpty, rows.count > 0 { rows.removeLast() }
        let width = rows.map(\.count).max() ?? 0
        var image = RGBImage(width: width, height: 2 * rows.count, fill: defaultColor)
        for (y, row) in rows.enumerated() {
            for (x, cell) in row.enumerated() {
                image[x, 2 * y] = cell.0
                image[x, 2 * y + 1] = cell.1
            }
        }
        return image
    }

    private static func applySGR(_ params: String, fg: inout RGB?, bg: inout RGB?, inverse: inout Bool) {
        let p = params.isEmpty ? [0] : params.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
        var k = 0
        while k < p.count {
            let v = p[k]
            switch v {
            case 0: fg = nil; bg = nil; inverse = false
            case 7: inverse = true
            case 27: inverse = false
            case 30...37: fg = TerminalPalette.color(UInt8(v - 30))
            case 90...97: fg = TerminalPalette.color(UInt8(v - 90 + 8))
            case 40...47: bg = TerminalPalette.color(UInt8(v - 40))
            case 100...107: bg = TerminalPalette.color(UInt8(v - 100 + 8))
            case 39: fg = nil
            case 49: bg = nil
            case 38, 48:
                var color: RGB? = nil
                if k + 4 < p.count, p[k + 1] == 2 {
                    color = RGB(UInt8(clamping: p[k + 2]), UInt8(clamping: p[k + 3]), UInt8(clamping: p[k + 4]))
                    k += 4
                } else if k + 2 < p.count, p[k + 1] == 5 {
                    color = TerminalPalette.color(UInt8(clamping: p[k + 2]))
                    k += 2
                }
                if v == 38 { fg = color } else { bg = color }
            default: break
            }
            k += 1
        }
    }
}

/// Image comparison measures.
public enum ImageQuality {
    /// Peak signal-to-noise ratio in dB over all samples of two same-sized images:
    /// 10 log10(255^2 / MSE); infinity when they are equal.
    public static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "PSNR of different sizes")
        var sum = 0.0
        for i in 0..<a.pixels.count {
            let d = Double(a.pixels[i]) - Double(b.pixels[i])
            sum += d * d
        }
        let mse = sum / Double(max(1, a.pixels.count))
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}
