import Foundation
import FileIO

/// Image-level labels read from a file instead of pseudo labels (`reclip train --image-labels`):
/// a JSON object from image file name to the names of the classes in that image, e.g.
/// `{"world_000000.png": ["sky", "water", "boat"]}`.
///
/// A diagnostic: training on the true classes of each image measures what the unsupervised
/// pseudo labels cost the rectifier (`scripts/diagnostics/image_labels.py` writes such a file
/// from a world's masks). A rectifier trained this way is supervised at image level.
public struct GivenImageLabels: Sendable, Equatable {
    /// The file the labels came from (recorded in the rectifier's metadata).
    public let source: String
    /// Image file name -> class indices, ascending.
    public let labels: [String: [Int]]

    public init(source: String, labels: [String: [Int]]) { self.source = source; self.labels = labels }

    /// Reads and checks `path` against the run's class list: a JSON object of string arrays,
    /// every name one of `classes`, no image with an empty list. Each problem is one line
    /// naming the file.
    public init(contentsOf path: String, classes: [String]) throws {
        let data: Data
        do { data = Data(try FileBytes.read(path, limit: 64 << 20)) } catch let error as FileError {
            throw TrainingError("\(terminalSafe(path)): cannot read the image labels (\(error.reason))")
        }
        let decoded: [String: [String]]
        do { decoded = try JSONDecoder().decode([String: [String]].self, from: data) } catch {
            throw TrainingError("\(path): not a JSON object from image file names to lists of class names")
        }
        let index = Dictionary(classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String: [Int]] = [:]
        for (image, names) in decoded {
            guard !names.isEmpty else { throw TrainingError("\(path): \(image) has no classes") }
            out[image] = try Set(names.map { name -> Int in
                guard let k = index[name] else {
                    throw TrainingError("\(path): \(image) names '\(name)', which is not one of the run's classes")
                }
                return k
            }).sorted()
        }
        self.init(source: (path as NSString).lastPathComponent, labels: out)
    }

    /// The labels of the image at `url`, by its file name.
    public func labels(for url: URL) throws -> [Int] {
        guard let l = labels[url.lastPathComponent] else {
            throw TrainingError("\(source): no labels for \(url.lastPathComponent)")
        }
        return l
    }
}
