import Pixels
import FileIO

/// Reads image files of any supported kind (PNG or JPEG, told apart by their first bytes).
///
/// ```swift
/// let photo = try ImageFile.read(path: "samples/astronaut.png")
/// let mask = try ImageFile.readIndexed(path: "SegmentationClass/2007_000032.png")
/// ```
public enum ImageFile {
    /// Images over this many pixels are refused before any pixel buffer is allocated.
    public static let defaultMaxPixels = 100_000_000
    /// Image files over this many bytes are refused before they are read.
    public static let maxFileBytes = 1 << 30

    /// The whole file, with failures as `RenderError`s.
    static func bytes(_ path: String) throws -> [UInt8] {
        do { return try FileBytes.read(path, limit: maxFileBytes) }
        catch let error as FileError { throw RenderError(file: path, .unreadable(error.reason)) }
    }

    /// Reads a PNG or JPEG as upright 8-bit sRGB. With `minimumSize`, a JPEG may come back
    /// reduced (see `JPEGCodec.decode`), never below the size it asks for.
    public static func read(path: String, maxPixels: Int = defaultMaxPixels,
                            minimumSize: ((_ width: Int, _ height: Int) -> (width: Int, height: Int))? = nil) throws -> RGBImage {
        try decode(try bytes(path), name: path, maxPixels: maxPixels, minimumSize: minimumSize)
    }

    /// Decodes PNG or JPEG bytes; `name` labels errors.
    public static func decode(_ bytes: [UInt8], name: String, maxPixels: Int = defaultMaxPixels,
                              minimumSize: ((_ width: Int, _ height: Int) -> (width: Int, height: Int))? = nil) throws -> RGBImage {
        if bytes.starts(with: PNGCodec.signature) {
            return try PNGCodec.decode(bytes, name: name, maxPixels: maxPixels)
        }
        if bytes.starts(with: [0xFF, 0xD8]) {
            return try JPEGCodec.decode(bytes, name: name, maxPixels: maxPixels, minimumSize: minimumSize)
        }
        if bytes.isEmpty { throw RenderError(file: name, .truncated) }
        throw RenderError(file: name, .unsupportedFormat)
    }

    /// Reads a palette (or 8-bit grey) PNG keeping its stored indices, as for class masks.
    public static func readIndexed(path: String, maxPixels: Int = defaultMaxPixels) throws -> IndexedImage {
        try PNGCodec.decodeIndexed(try bytes(path), name: path, maxPixels: maxPixels)
    }

    /// Reads a class mask from a palette or grey PNG (index = class, 255 = ignore).
    public static func readMask(path: String, maxPixels: Int = defaultMaxPixels) throws -> ClassMask {
        ClassMask(try readIndexed(path: path, maxPixels: maxPixels))
    }
}
