import FileIO
import Foundation

/// Where the parts of a PASCAL VOC-style segmentation dataset live under its root folder.
///
/// ```
/// ROOT/JPEGImages/<id>.jpg (or .png)
/// ROOT/SegmentationClass/<id>.png        palette PNG, index = class, 255 = ignore
/// ROOT/ImageSets/Segmentation/<split>.txt  one id per line
/// ```
public struct VOCLayout: Sendable, Equatable {
    /// The dataset's root folder.
    public let root: URL

    public init(root: URL) { self.root = root }

    /// Folder of input images.
    public var imagesFolder: URL { root.appendingPathComponent("JPEGImages", isDirectory: true) }
    /// Folder of ground-truth palette masks.
    public var masksFolder: URL { root.appendingPathComponent("SegmentationClass", isDirectory: true) }
    /// The list file of a split (`train`, `val`, ...).
    public func splitFile(_ split: String) -> URL {
        root.appendingPathComponent("ImageSets/Segmentation/\(split).txt")
    }

    /// The image ids of a split, in file order, blank lines skipped.
    public func imageIDs(split: String) throws -> [String] {
        let file = splitFile(split)
        return try TextLines.read(file, what: "\(split) split list")
    }
}

/// A dataset problem, phrased for the person at the keyboard: the file (shown escaped, as
/// `terminalSafe` does) and what is wrong.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public init(file: String, problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(terminalSafe(file)): \(problem)" }
}
