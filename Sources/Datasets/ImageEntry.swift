import Foundation

/// One image the explorer can show, with its ground-truth mask when a dataset provides one.
public struct ImageEntry: Sendable, Equatable {
    /// The photograph (PNG or JPEG).
    public let url: URL
    /// A palette PNG whose indices are class indices (255 = ignore), if known.
    public let groundTruth: URL?

    public init(url: URL, groundTruth: URL? = nil) {
        self.url = url
        self.groundTruth = groundTruth
    }

    /// The file name shown in the side list.
    public var name: String { url.lastPathComponent }
}
