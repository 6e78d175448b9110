import Foundation
import Render

/// Reads the explorer's pictures from disk through Render's decoders.
public enum PictureFile {
    /// Decodes a PNG or JPEG photograph.
    public static func load(_ url: URL) throws -> Picture {
        Picture(try ImageFile.read(path: url.path))
    }

    /// Reads a ground-truth mask: a palette or grey PNG whose indices are classes (255 = ignore).
    public static func loadMask(_ url: URL) throws -> LabelMap {
        try ImageFile.readMask(path: url.path)
    }
}

extension Picture {
    /// The pixels of a decoded image.
    public init(_ image: RGBImage) {
        self.init(width: image.width, height: image.height, pixels: image.colors)
    }

    /// The picture as Render's image type (for encoders and the engine).
    public var image: RGBImage { RGBImage(width: width, height: height, colors: pixels) }
}
