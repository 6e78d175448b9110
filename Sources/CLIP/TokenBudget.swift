import FileIO
/// The bound on the work of one dense forward, checked before any pixel is resampled:
/// attention is quadratic in the token count, so a 300x1 image at a short side of 448 (a
/// 134,400 x 448 resize, 235,200 tokens) would run for minutes and take gigabytes. 4,096
/// patch tokens (a 64 x 64 grid: ViT-B/16 on a 1024-pixel square, or a 4:1 panorama at 512)
/// is well past every published protocol and takes seconds.
public enum TokenBudget {
    /// The most patch tokens a dense forward may have.
    public static let maxPatches = 4096

    /// The patch grid (rows, columns) of an image of `width` x `height` resized so its short
    /// side is `shortSide` and padded to the patch size, as `CLIPModel.denseFeatures` runs it.
    public static func grid(width: Int, height: Int, shortSide: Int, patch: Int) -> (rows: Int, columns: Int) {
        let short = min(width, height), long = max(width, height)
        let newLong = short == shortSide ? long : Int(Double(shortSide) * Double(long) / Double(short))
        let (w, h) = width <= height ? (shortSide, newLong) : (newLong, shortSide)
        return ((h + patch - 1) / patch, (w + patch - 1) / patch)
    }

    /// Throws unless the image's dense forward stays within `maxPatches` (`name` labels the error).
    public static func check(width: Int, height: Int, shortSide: Int, patch: Int, name: String) throws {
        guard width > 0, height > 0 else {
            throw TokenBudgetError(description: "\(terminalSafe(name)): an empty image (\(width)x\(height))")
        }
        let (rows, columns) = grid(width: width, height: height, shortSide: shortSide, patch: patch)
        guard rows * columns <= maxPatches else {
            let ratio = Double(max(width, height)) / Double(min(width, height))
            throw TokenBudgetError(description: "\(terminalSafe(name)): \(width)x\(height) pixels (aspect \(Int(ratio.rounded())):1) at a short side of \(shortSide) is a \(columns)x\(rows) patch grid, \(rows * columns) tokens; the limit is \(maxPatches): crop the image or lower --size")
        }
    }
}

/// An image whose dense forward would exceed `TokenBudget.maxPatches`.
public struct TokenBudgetError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
