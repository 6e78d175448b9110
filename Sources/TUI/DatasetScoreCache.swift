import Foundation
import FileIO
import ModelFiles
import ReCLIP

/// The dataset view's scores kept on disk between runs, so that opening view 5 again on the
/// same folder, engine and settings shows every image scored at once and computes only the
/// images that are new or changed.
///
/// One JSON file per setting in the cache folder (`ReclipHome.cache()`), named by the SHA-256
/// of the setting: the engine (`SegmentationEngine.cacheIdentity`: weights, rectifier, input
/// size), the head, the class list and alpha. Inside, each image's scores under its path, with
/// the image's and its ground truth's size and modification time: a changed file is scored
/// again. The file is written atomically; a file that does not parse, or an entry that does not
/// hold together (matrix sizes, shares outside 0...1, non-finite numbers), counts as absent.
///
/// ```swift
/// var cache = DatasetScoreCache(folder: ReclipHome.cache(), setting: "engine|maskclip|sky,cat|1.0")
/// if let s = cache.scores(for: entry) { ... } else { cache.store(scores, for: entry); try cache.write() }
/// ```
public struct DatasetScoreCache: Sendable {
    /// The cache file of this setting.
    public let file: URL
    private var entries: [String: Stored]

    /// Reads the file of `setting` in `folder` (none yet, or unreadable: empty).
    public init(folder: URL, setting: String) {
        var h = SHA256()
        h.update(Data(setting.utf8))
        file = folder.appendingPathComponent("dataset-\(h.finalize().hex.prefix(32)).json")
        entries = (try? FileBytes.read(file.path, limit: 256 << 20))
            .flatMap { try? JSONDecoder().decode([String: Stored].self, from: Data($0)) } ?? [:]
    }

    /// What scoring means, in the key: raise it when the same engine and setting score
    /// otherwise, so that stored scores of older code are never shown (2: alpha 0 became raw
    /// MaskCLIP for ReCLIP++, `SegmentationMaps.output(alpha:)`).
    static let scoringVersion = "scores 2"

    /// The setting's text for an engine identity, readout (`Readout.cacheKey`: the head, and
    /// any PAMR steps), class list and alpha.
    public static func setting(engine: String, readout: String, classes: [String], alpha: Float) -> String {
        ([scoringVersion, engine, readout, String(alpha)] + classes).joined(separator: "\u{1}")
    }

    /// Images with scores stored.
    public var count: Int { entries.count }

    /// The stored scores of `entry`, if its files are unchanged and the record holds together.
    public func scores(for entry: ImageEntryStamp) -> ImageScores? {
        guard let stored = entries[entry.path], stored.stamp == entry.stamp else { return nil }
        return stored.scores
    }

    /// Keeps `scores` for `entry` (written by `write()`).
    public mutating func store(_ scores: ImageScores, for entry: ImageEntryStamp) {
        entries[entry.path] = Stored(stamp: entry.stamp, scores: scores)
    }

    /// Writes the file atomically (creating the folder).
    public func write() throws {
        try FolderCreation.make(file.deletingLastPathComponent().path)
        try AtomicFile.write(try JSONEncoder().encode(entries), to: file.path)
    }

    /// One image's record: its files' stamp, and its scores in plain numbers.
    private struct Stored: Codable, Sendable {
        let stamp: String
        let alpha: Float
        let classCount: Int
        let raw: [Int]?, rectified: [Int]?
        let rawShares: [Double], rectifiedShares: [Double]
        let changed: Double
        let curve: [[Int]]?
        let shareCurve: [[Double]]

        init(stamp: String, scores s: ImageScores) {
            self.stamp = stamp
            alpha = s.alpha
            classCount = s.rawShares.count
            raw = s.raw?.counts
            rectified = s.rectified?.counts
            rawShares = s.rawShares
            rectifiedShares = s.rectifiedShares
            changed = s.changed
            curve = s.curve?.map(\.counts)
            shareCurve = s.shareCurve
        }

        /// The scores, if every part holds together.
        var scores: ImageScores? {
            let K = classCount
            func matrix(_ counts: [Int]?) -> ConfusionMatrix?? {
                guard let counts else { return .some(nil) }
                return ConfusionMatrix(classCount: K, counts: counts).map { .some($0) }
            }
            func isShare(_ v: Double) -> Bool { v.isFinite && (0...1).contains(v) }
            guard K > 0, alpha.isFinite, isShare(changed), rawShares.count == K, rectifiedShares.count == K,
                  rawShares.allSatisfy(isShare), rectifiedShares.allSatisfy(isShare),
                  shareCurve.allSatisfy({ $0.count == K && $0.allSatisfy(isShare) }),
                  let rawMatrix = matrix(raw), let rectMatrix = matrix(rectified) else { return nil }
            var curveMatrices: [ConfusionMatrix]?
            if let curve {
                let m = curve.compactMap { ConfusionMatrix(classCount: K, counts: $0) }
                guard m.count == curve.count else { return nil }
                curveMatrices = m
            }
            return ImageScores(alpha: alpha, raw: rawMatrix, rectified: rectMatrix, rawShares: rawShares,
                               rectifiedShares: rectifiedShares, changed: changed, curve: curveMatrices, shareCurve: shareCurve)
        }
    }
}

/// An image of the dataset view as the score cache knows it: its path, and a stamp of its file
/// and its ground truth's (size and modification time), so that a changed file is scored again.
public struct ImageEntryStamp: Sendable, Equatable {
    public let path: String
    public let stamp: String

    public init(path: String, stamp: String) {
        self.path = path
        self.stamp = stamp
    }

    /// The stamp of `entry`'s files as they are now, or nil if the image cannot be read.
    public init?(_ url: URL, groundTruth: URL?) {
        guard let image = FileStamp.of(url) else { return nil }
        path = url.standardizedFileURL.path
        self.stamp = image + "|" + (groundTruth.flatMap(FileStamp.of) ?? "-")
    }
}
