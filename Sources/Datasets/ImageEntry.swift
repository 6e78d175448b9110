import FileIO
import Foundation

/// One image the explorer can show, with its ground-truth mask when a dataset provides one.
public struct ImageEntry: Sendable, Equatable {
    /// The photograph (PNG or JPEG).
    public let url: URL
    /// A palette PNG whose indices are class indices (255 = ignore), if known.
    public let groundTruth: URL?

    /// Whether the image belongs to a generated world dataset (a `world.json` beside its
    /// folder), which the bundled small CLIP knows; found once, here, never while drawing.
    public let fromWorld: Bool

    /// `fromWorld` nil looks at the folder (`BundledModel.isWorldImage`).
    public init(url: URL, groundTruth: URL? = nil, fromWorld: Bool? = nil) {
        self.url = url
        self.groundTruth = groundTruth
        self.fromWorld = fromWorld ?? BundledModel.isWorldImage(url)
    }

    /// The file name shown in the side list, escaped for the terminal (`terminalSafe`: a
    /// non-UTF-8 byte as `\xNN`).
    public var name: String { terminalSafe(url.lastPathComponent) }
}
