import CPNG
import Render
import Foundation

/// Reads the explorer's pictures from disk.
public enum PictureFile {
    /// Decodes a PNG photograph to RGB.
    public static func load(_ url: URL) throws -> Picture {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, url.path) != 0 else {
            throw TerminalError("\(url.path): \(problem(image))")
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        let w = Int(image.width), h = Int(image.height)
        var bytes = [UInt8](repeating: 0, count: w * h * 3)
        guard png_image_finish_read(&image, nil, &bytes, 0, nil) != 0 else {
            throw TerminalError("\(url.path): \(problem(image))")
        }
        var pixels = [RGB]()
        pixels.reserveCapacity(w * h)
        for i in 0..<(w * h) { pixels.append(RGB(bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2])) }
        return Picture(width: w, height: h, pixels: pixels)
    }

    static func problem(_ image: png_image) -> String {
        var message = image.message
        return withUnsafeBytes(of: &message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

extension PictureFile {
    /// Reads a ground-truth mask stored as a VOC palette PNG: each pixel's palette colour is
    /// turned back into its index (VOC's colour map), the boundary colour into `LabelMap.ignore`.
    public static func loadMask(_ url: URL) throws -> LabelMap {
        let picture = try load(url)
        var lookup: [RGB: Int32] = [RGB(224, 224, 192): LabelMap.ignore]
        for k in 0..<255 { lookup[vocColour(k)] = Int32(k) }
        var labels = [Int32]()
        labels.reserveCapacity(picture.pixels.count)
        for p in picture.pixels {
            guard let k = lookup[p] else {
                throw TerminalError("\(url.path): colour (\(p.r),\(p.g),\(p.b)) is not in the VOC palette")
            }
            labels.append(k)
        }
        return LabelMap(width: picture.width, height: picture.height, labels: labels)
    }

    /// The PASCAL VOC palette colour of index `k` (bits of k spread over the channels' high bits).
    static func vocColour(_ k: Int) -> RGB {
        var r = 0, g = 0, b = 0, c = k
        for j in 0..<8 {
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        }
        return RGB(UInt8(r), UInt8(g), UInt8(b))
    }
}
