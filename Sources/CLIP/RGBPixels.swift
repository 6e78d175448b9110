import Math
import FileIO
import ModelFiles
/// An 8-bit RGB image, pixels interleaved row by row (R, G, B, R, G, B, ...).
///
/// ```swift
/// let image = RGBPixels(width: 2, height: 1, data: [255, 0, 0, 0, 0, 255])  // red, blue
/// ```
public struct RGBPixels: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// width * height * 3 bytes.
    public let data: [UInt8]

    public init(width: Int, height: Int, data: [UInt8]) {
        precondition(width >= 0 && height >= 0 && data.count == width * height * 3,
                     "RGB data of \(data.count) bytes does not match \(width)x\(height)")
        self.width = width
        self.height = height
        self.data = data
    }
}
