import Pixels
import CJPEGShim

/// JPEG reading through libjpeg-turbo (baseline and progressive; greyscale, YCbCr, CMYK and
/// YCCK), with the EXIF orientation applied so the image comes out upright.
///
/// libjpeg's fatal errors unwind with longjmp, which Swift frames cannot survive; the small C
/// target `CJPEGShim` holds the setjmp guard and hands back a status code and message.
///
/// ```swift
/// let photo = try JPEGCodec.decode(bytes, name: "rocket.jpg")
/// ```
public enum JPEGCodec {
    /// Scans a progressive JPEG may have: photographs have about ten; each scan re-decodes the
    /// image, so a file of thousands is refused at scan 101 (libjpeg-turbo's `djpeg -maxscans`).
    public static let maxScans = 100

    /// Decodes a JPEG to upright 8-bit sRGB.
    ///
    /// `minimumSize`, when given, is asked with the upright image's full size for the
    /// smallest size the caller can use; the decoder then reduces by the largest of 1/2, 1/4,
    /// 1/8 (done inside the DCT, so far cheaper than decoding in full) that stays at least
    /// that large in both directions.
    public static func decode(_ bytes: [UInt8], name: String,
                              maxPixels: Int = ImageFile.defaultMaxPixels,
                              minimumSize: ((_ width: Int, _ height: Int) -> (width: Int, height: Int))? = nil) throws -> RGBImage {
        guard bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 else {
            throw RenderError(file: name, .unsupportedFormat)
        }
        let orientation = ExifOrientation(jpeg: bytes)
        var denominator = 1
        if let minimumSize, let (w, h) = jpegDimensions(bytes), w * h <= maxPixels {
            let (uw, uh) = orientation.value >= 5 ? (h, w) : (w, h)
            let need = minimumSize(uw, uh)
            for d in [8, 4, 2] where (uw + d - 1) / d >= need.width && (uh + d - 1) / d >= need.height {
                denominator = d
                break
            }
        }
        var result = reclip_jpeg_result()
        let status = bytes.withUnsafeBufferPointer { buffer in
            reclip_jpeg_decode(buffer.baseAddress, buffer.count, UInt64(maxPixels), Int32(maxScans), Int32(denominator), &result)
        }
        defer { reclip_jpeg_free(result.pixels) }
        let message = withUnsafeBytes(of: result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch Int(status) {
        case Int(RECLIP_JPEG_OK): break
        case Int(RECLIP_JPEG_TRUNCATED): throw RenderError(file: name, .truncated)
        case Int(RECLIP_JPEG_TOO_MANY_SCANS):
            throw RenderError(file: name, .corrupt("\(message); the limit is \(maxScans), as libjpeg-turbo's djpeg -maxscans"))
        case Int(RECLIP_JPEG_TOO_LARGE):
            let (w, h) = jpegDimensions(bytes) ?? (0, 0)
            throw RenderError(file: name, .tooLarge(width: w, height: h, limit: maxPixels))
        default:
            let lower = message.lowercased()
            if lower.contains("premature end") || lower.contains("empty input") {
                throw RenderError(file: name, .truncated)
            }
            throw RenderError(file: name, .corrupt(message))
        }
        let (w, h, components) = (Int(result.width), Int(result.height), Int(result.components))
        let samples = UnsafeBufferPointer(start: result.pixels, count: w * h * components)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        switch components {
        case 1:
            for i in 0..<(w * h) { rgb[3 * i] = samples[i]; rgb[3 * i + 1] = samples[i]; rgb[3 * i + 2] = samples[i] }
        case 3:
            rgb = Array(samples)
        case 4:
            // CMYK: Adobe files store inverted samples (255 = no ink). R = (1-C)(1-K) etc.
            let inverted = result.adobe_inverted != 0
            for i in 0..<(w * h) {
                var c = Int(samples[4 * i]), m = Int(samples[4 * i + 1])
                var y = Int(samples[4 * i + 2]), k = Int(samples[4 * i + 3])
                if !inverted { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k }
                rgb[3 * i] = UInt8((c * k + 127) / 255)
                rgb[3 * i + 1] = UInt8((m * k + 127) / 255)
                rgb[3 * i + 2] = UInt8((y * k + 127) / 255)
            }
        default:
            throw RenderError(file: name, .corrupt("\(components) colour components"))
        }
        let image = RGBImage(width: w, height: h, pixels: rgb)
        return orientation.upright(image)
    }

    /// Width and height from the first SOF marker, for error messages.
    static func jpegDimensions(_ bytes: [UInt8]) -> (Int, Int)? {
        var i = 2
        while i + 9 < bytes.count {
            guard bytes[i] == 0xFF else { return nil }
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
                let h = Int(bytes[i + 5]) << 8 | Int(bytes[i + 6])
                let w = Int(bytes[i + 7]) << 8 | Int(bytes[i + 8])
                return (w, h)
            }
            i += 2 + length
        }
        return nil
    }
}
