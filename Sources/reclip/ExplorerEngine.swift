import Foundation
import Segmentation
import TUI

/// Where the explorer's class list comes from: `--classes`, `--classes-file`, the dataset's
/// `classes.txt`, or the PASCAL VOC classes.
enum ExplorerClasses {
    /// The 21 PASCAL VOC classes, the benchmark ReCLIP reports on.
    static let voc = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
                      "chair", "cow", "dining table", "dog", "horse", "motorbike", "person", "potted plant",
                      "sheep", "sofa", "train", "tv monitor"]

    static func resolve(option: String?, file: String?, dataset: [String]?) throws -> [String] {
        if let option {
            let names = option.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw ExplorerCommandError("--classes: no class names in \"\(option)\"") }
            return names
        }
        if let file {
            guard let names = ImageCollection.readClasses(URL(fileURLWithPath: file)) else {
                throw ExplorerCommandError("\(file): cannot read class names (one per line expected)")
            }
            return names
        }
        return dataset ?? voc
    }
}

/// A problem with the explorer's command line, phrased for the person at the keyboard.
struct ExplorerCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Loads the engine the explorer runs, or says why there is none.
enum ExplorerEngine {
    static func load(weights: String?, classes: [String]) -> ((any SegmentationEngine)?, String?) {
        guard let weights else { return (nil, nil) }
        guard FileManager.default.fileExists(atPath: weights) else {
            return (nil, "\(weights): no such weights file - images only")
        }
        return (nil, "\(weights): this build has no segmentation engine yet - images only")
    }
}
