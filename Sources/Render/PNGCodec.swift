import Pixels
import CPNG
import FileIO

/// PNG reading and writing through libpng's simplified API (`png_image`), which reports
/// errors through return codes rather than longjmp, so Swift can call it safely.
///
/// Reading handles every PNG kind (grey, grey+alpha, palette, RGB, RGBA; 1-16 bits;
/// interlaced). Sixteen-bit files without a gamma chunk are taken as sRGB-encoded, like
/// other viewers. Transparent pixels are composited onto black.
///
/// ```swift
/// let photo = try PNGCodec.decode(bytes, name: "cat.png")
/// let mask = try PNGCodec.decodeIndexed(maskBytes, name: "2007_000032.png")
/// try PNGCodec.write(mask, to: "mask.png")
/// ```
public enum PNGCodec {
    /// The eight bytes every PNG starts with.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes a PNG to 8-bit sRGB.
    public static func decode(_ bytes: [UInt8], name: String,
                              maxPixels: Int = ImageFile.defaultMaxPixels) throws -> RGBImage {
        try reading(bytes, name: name, maxPixels: maxPixels) { image in
            if image.pointee.format & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0 {
                return try decodeSixteenBit(image, bytes: bytes, name: name)
            }
            image.pointee.format = UInt32(PNG_FORMAT_RGB)
            var pixels = [UInt8](repeating: 0, count: Int(image.pointee.width) * Int(image.pointee.height) * 3)
            var black = png_color(red: 0, green: 0, blue: 0)
            let ok = pixels.withUnsafeMutableBytes { buffer in
                png_image_finish_read(image, &black, buffer.baseAddress, 0, nil)
            }
            try check(ok, image, name: name)
            return RGBImage(width: Int(image.pointee.width), height: Int(image.pointee.height), pixels: pixels)
        }
    }

    /// Sixteen-bit files are read at 16 bits and reduced to 8 here: libpng 1.6's direct
    /// 16-to-8-bit path misplaces rows of interlaced images, and its "assume sRGB" option
    /// uses a plain 2.2 power curve. A file without gamma information (almost all of them)
    /// is read untouched, its samples taken as sRGB-encoded and rounded to 8 bits; a file
    /// with gAMA, sRGB or iCCP is converted by libpng to linear light and encoded to sRGB.
    private static func decodeSixteenBit(_ image: UnsafeMutablePointer<png_image>, bytes: [UInt8],
                                         name: String) throws -> RGBImage {
        let hasGamma = hasColorSpaceChunk(bytes)
        if !hasGamma { image.pointee.flags &= ~UInt32(PNG_IMAGE_FLAG_16BIT_sRGB) }
        image.pointee.format = UInt32(PNG_FORMAT_RGB) | UInt32(PNG_FORMAT_FLAG_LINEAR)
        let count = Int(image.pointee.width) * Int(image.pointee.height) * 3
        var samples = [UInt16](repeating: 0, count: count)
        let ok = samples.withUnsafeMutableBytes { buffer in
            png_image_finish_read(image, nil, buffer.baseAddress, 0, nil)
        }
        try check(ok, image, name: name)
        let pixels: [UInt8]
        if hasGamma {
            let table = LinearLight.toSRGBTable
            pixels = samples.map { table[Int($0)] }
        } else {
            pixels = samples.map { UInt8((UInt32($0) * 255 + 32767) / 65535) }
        }
        return RGBImage(width: Int(image.pointee.width), height: Int(image.pointee.height), pixels: pixels)
    }

    /// Whether a gAMA, sRGB or iCCP chunk comes before the image data.
    static func hasColorSpaceChunk(_ bytes: [UInt8]) -> Bool {
        var i = 8
        while i + 8 <= bytes.count {
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            let kind = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            if kind == "IDAT" || kind == "IEND" { return false }
            if kind == "gAMA" || kind == "sRGB" || kind == "iCCP" { return true }
            i += 12 + length
        }
        return false
    }

    /// Decodes a PNG keeping its palette indices: a palette PNG gives its stored indices and
    /// palette; an 8-bit greyscale PNG gives its grey values as indices over a grey palette.
    /// Other kinds are refused, because their pixels are not indices.
    public static func decodeIndexed(_ bytes: [UInt8], name: String,
                                     maxPixels: Int = ImageFile.defaultMaxPixels) throws -> IndexedImage {
        // A JPEG is a picture, not a mask: its lossy colours hold no class indices.
        if bytes.starts(with: [0xFF, 0xD8]) {
            throw RenderError(file: name, .invalidArgument(
                "a JPEG cannot hold a class mask (lossy colours, no indices): give a palette or 8-bit grey PNG"))
        }
        return try reading(bytes, name: name, maxPixels: maxPixels) { image in
            let (width, height) = (Int(image.pointee.width), Int(image.pointee.height))
            var indices = [UInt8](repeating: 0, count: width * height)
            var black = png_color(red: 0, green: 0, blue: 0)
            let format = image.pointee.format
            if format & UInt32(PNG_FORMAT_FLAG_COLORMAP) != 0 {
                image.pointee.format = UInt32(PNG_FORMAT_RGB) | UInt32(PNG_FORMAT_FLAG_COLORMAP)
                var colormap = [UInt8](repeating: 0, count: 256 * 3)
                let ok = indices.withUnsafeMutableBytes { buffer in
                    colormap.withUnsafeMutableBytes { map in
                        png_image_finish_read(image, &black, buffer.baseAddress, 0, map.baseAddress)
                    }
                }
                try check(ok, image, name: name)
                let entries = Int(image.pointee.colormap_entries)
                let palette = (0..<entries).map { RGB(colormap[3 * $0], colormap[3 * $0 + 1], colormap[3 * $0 + 2]) }
                return IndexedImage(width: width, height: height, indices: indices, palette: palette)
            }
            if format & UInt32(PNG_FORMAT_FLAG_COLOR) == 0 {
                image.pointee.format = UInt32(PNG_FORMAT_GRAY)
                let ok = indices.withUnsafeMutableBytes { buffer in
                    png_image_finish_read(image, &black, buffer.baseAddress, 0, nil)
                }
                try check(ok, image, name: name)
                let palette = (0...255).map { RGB(UInt8($0), UInt8($0), UInt8($0)) }
                return IndexedImage(width: width, height: height, indices: indices, palette: palette)
            }
            throw RenderError(file: name, .invalidArgument("not a palette or greyscale PNG, so its pixels are not class indices"))
        }
    }

    /// Encodes an RGB image as PNG. `fast` asks libpng for speed over size
    /// (`PNG_IMAGE_FLAG_FAST`), for PNGs sent to a terminal and thrown away.
    public static func encode(_ rgb: RGBImage, name: String = "PNG", fast: Bool = false) throws -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(rgb.width)
        image.height = UInt32(rgb.height)
        image.format = UInt32(PNG_FORMAT_RGB)
        if fast { image.flags |= UInt32(PNG_IMAGE_FLAG_FAST) }
        return try encode(&image, pixels: rgb.pixels, colormap: nil, name: name)
    }

    /// Encodes a palette image as a palette PNG whose indices are those of `indexed`.
    public static func encode(_ indexed: IndexedImage, name: String = "PNG") throws -> [UInt8] {
        guard !indexed.palette.isEmpty && indexed.palette.count <= 256 else {
            throw RenderError(file: name, .invalidArgument("a palette needs 1 to 256 colours, not \(indexed.palette.count)"))
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(indexed.width)
        image.height = UInt32(indexed.height)
        image.format = UInt32(PNG_FORMAT_RGB) | UInt32(PNG_FORMAT_FLAG_COLORMAP)
        // Every stored index must have a palette entry: pad the palette up to the largest one.
        let needed = max(indexed.palette.count, Int(indexed.indices.max() ?? 0) + 1)
        var palette = indexed.palette
        while palette.count < needed { palette.append(RGB(0, 0, 0)) }
        image.colormap_entries = UInt32(palette.count)
        let colormap = palette.flatMap { [$0.r, $0.g, $0.b] }
        return try encode(&image, pixels: indexed.indices, colormap: colormap, name: name)
    }

    /// Writes an RGB image as a PNG file, atomically.
    public static func write(_ rgb: RGBImage, to path: String) throws {
        try writeFile(try encode(rgb, name: path), to: path)
    }

    /// Writes a palette image as a palette PNG file, atomically.
    public static func write(_ indexed: IndexedImage, to path: String) throws {
        try writeFile(try encode(indexed, name: path), to: path)
    }

    private static func writeFile(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path) }
        catch let error as FileError { throw RenderError(file: path, .unwritable(error.reason)) }
    }

    // MARK: - libpng plumbing

    /// Runs `body` on a `png_image` whose header has been read from `bytes`. The image lives
    /// at a fixed address and the bytes stay alive throughout, as libpng's memory reader
    /// requires; the image is freed afterwards whatever happens.
    private static func reading<T>(_ bytes: [UInt8], name: String, maxPixels: Int,
                                   _ body: (UnsafeMutablePointer<png_image>) throws -> T) throws -> T {
        guard bytes.count >= 8 && Array(bytes[0..<8]) == signature else {
            throw RenderError(file: name, .unsupportedFormat)
        }
        let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        image.initialize(to: png_image())
        defer {
            png_image_free(image)
            image.deallocate()
        }
        image.pointee.version = UInt32(PNG_IMAGE_VERSION)
        return try bytes.withUnsafeBytes { buffer in
            let ok = png_image_begin_read_from_memory(image, buffer.baseAddress, buffer.count)
            try check(ok, image, name: name)
            let (w, h) = (Int(image.pointee.width), Int(image.pointee.height))
            if w * h > maxPixels {
                throw RenderError(file: name, .tooLarge(width: w, height: h, limit: maxPixels))
            }
            image.pointee.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
            return try body(image)
        }
    }

    private static func check(_ ok: Int32, _ image: UnsafeMutablePointer<png_image>, name: String) throws {
        let failed = ok == 0 || (image.pointee.warning_or_error & 3) > 1
        guard failed else { return }
        let message = withUnsafeBytes(of: image.pointee.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let lower = message.lowercased()
        if lower.contains("read beyond end") || lower.contains("truncated") || lower.contains("not enough image data")
            || lower.contains("unexpected end") {
            throw RenderError(file: name, .truncated)
        }
        throw RenderError(file: name, .corrupt(message.isEmpty ? "libpng refused it" : message))
    }

    private static func encode(_ image: inout png_image, pixels: [UInt8], colormap: [UInt8]?,
                               name: String) throws -> [UInt8] {
        let control = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        control.initialize(to: image)
        defer {
            png_image_free(control)
            control.deallocate()
        }
        var size = 0
        // First call measures, second call writes.
        var ok = pixels.withUnsafeBytes { buffer in
            withColormap(colormap) { map in
                png_image_write_to_memory(control, nil, &size, 0, buffer.baseAddress, 0, map)
            }
        }
        try check(ok, control, name: name)
        var out = [UInt8](repeating: 0, count: size)
        ok = pixels.withUnsafeBytes { buffer in
            out.withUnsafeMutableBytes { memory in
                withColormap(colormap) { map in
                    png_image_write_to_memory(control, memory.baseAddress, &size, 0, buffer.baseAddress, 0, map)
                }
            }
        }
        try check(ok, control, name: name)
        return Array(out[0..<size])
    }

    private static func withColormap<T>(_ colormap: [UInt8]?, _ body: (UnsafeRawPointer?) -> T) -> T {
        guard let colormap else { return body(nil) }
        return colormap.withUnsafeBytes { body($0.baseAddress) }
    }
}
