import Foundation
import FileIO
import CLIP
import ReCLIP

/// Shard I of N of a split: the images at positions I, I + N, I + 2N, ... of the split list,
/// so that N processes (or machines) evaluate a split together (`reclip eval --shard I/N`).
public struct ShardSelection: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// 0 ≤ index < count.
    public init?(index: Int, count: Int) {
        guard count > 0, (0..<count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// `I/N`, e.g. `0/4`.
    public init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// This shard's part of a split list, in order.
    public func images(of ids: [String]) -> [String] {
        ids.enumerated().filter { $0.offset % count == index }.map(\.element)
    }
}

/// One shard's evaluation as a JSON file (`reclip eval --shard I/N --out F`; `reclip eval merge` adds them up): per
/// predictor (one, or each head raw and rectified) the confusion matrix, the seconds and every
/// image's mIoU, with the settings it ran with. `merge` adds shards of one evaluation up into
/// the reports one process would have printed.
public struct EvaluationShard: Codable, Sendable, Equatable {
    /// The file format's name and version.
    public static let formatName = "reclip-eval-shard-1"

    /// One predictor's share.
    public struct Predictor: Codable, Sendable, Equatable {
        /// The dense head and templates (nil for `eval` without `--heads`, which is MaskCLIP's).
        public var head: String?
        public var templates: String?
        /// Whether this is the rectified prediction.
        public var rectified: Bool
        /// `counts[g * K + p]`: pixels of ground truth g predicted as p.
        public var counts: [Int]
        /// Total wall seconds over the shard's images.
        public var seconds: Double
        /// Each image's id and mIoU (nil where undefined), in split order within each shard.
        public var perImage: [ImageScore]

        public init(head: String?, templates: String?, rectified: Bool, counts: [Int], seconds: Double, perImage: [ImageScore]) {
            self.head = head; self.templates = templates; self.rectified = rectified; self.counts = counts
            self.seconds = seconds; self.perImage = perImage
        }
    }

    /// One image's mIoU.
    public struct ImageScore: Codable, Sendable, Equatable {
        public var id: String
        public var mIoU: Double?
    }

    public var format: String
    public var split: String
    public var classes: [String]
    /// Which shards this file holds (one after `eval`, several after a merge).
    public var shards: [Int]
    public var shardCount: Int
    /// Images in the whole split.
    public var splitImages: Int
    /// What the evaluation ran with (weights hash, rectifier, size, alpha, ...): shards merge
    /// only when these agree.
    public var settings: [String: String]
    public var predictors: [Predictor]

    /// A shard from the reports of `DatasetEvaluation.run(dataset:split:predictors:shard:...)`.
    public init(split: String, shard: ShardSelection, splitImages: Int, settings: [String: String],
                reports: [EvaluationReport], predictors: [(head: DenseHead?, templates: PromptTemplateSet?, rectified: Bool)],
                seconds: [Double]) {
        precondition(reports.count == predictors.count && seconds.count == predictors.count, "one entry per predictor")
        format = Self.formatName
        self.split = split
        classes = reports.first?.classes ?? []
        shards = [shard.index]
        shardCount = shard.count
        self.splitImages = splitImages
        self.settings = settings
        self.predictors = zip(zip(reports, predictors), seconds).map { pair, s in
            let (r, p) = pair
            return Predictor(head: p.head?.rawValue, templates: p.templates?.rawValue, rectified: p.rectified,
                             counts: r.matrix.counts, seconds: s,
                             perImage: r.perImage.map { ImageScore(id: $0.id, mIoU: $0.meanIoU.isFinite ? $0.meanIoU : nil) })
        }
    }

    /// Images this file covers.
    public var images: Int { predictors.first?.perImage.count ?? 0 }

    /// Whether every shard of the split is in.
    public var isComplete: Bool { Set(shards) == Set(0..<shardCount) }

    /// Writes the shard as JSON (atomically).
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: url.path)
    }

    /// Reads and checks a shard file: the format, one matrix of K x K non-negative counts per
    /// predictor, shard numbers inside the count.
    public static func read(from url: URL) throws -> EvaluationShard {
        let data = Data(try FileBytes.read(url.path, limit: 1 << 30))
        let shard: EvaluationShard
        do { shard = try JSONDecoder().decode(EvaluationShard.self, from: data) } catch {
            throw DatasetError(file: url.path, problem: "not an evaluation shard file (\(error))")
        }
        guard shard.format == formatName else {
            throw DatasetError(file: url.path, problem: "format '\(shard.format)', expected \(formatName)")
        }
        let K = shard.classes.count
        guard K > 0, !shard.predictors.isEmpty,
              shard.predictors.allSatisfy({ p in ConfusionMatrix(classCount: K, counts: p.counts) != nil && p.seconds >= 0 }) else {
            throw DatasetError(file: url.path, problem: "every predictor needs \(K) x \(K) non-negative counts")
        }
        guard shard.shardCount > 0, !shard.shards.isEmpty, shard.shards.allSatisfy({ (0..<shard.shardCount).contains($0) }) else {
            throw DatasetError(file: url.path, problem: "shards \(shard.shards) do not lie in 0..<\(shard.shardCount)")
        }
        return shard
    }

    /// Adds shards of one evaluation: the same split, classes, shard count, settings and
    /// predictors, no shard twice. `names` label the shards in errors.
    public static func merge(_ parts: [EvaluationShard], names: [String]) throws -> EvaluationShard {
        guard var out = parts.first else { throw DatasetError(file: "-", problem: "no shard files to merge") }
        let first = names.first ?? "shard 1"
        for (part, name) in zip(parts, names).dropFirst() {
            func differ(_ what: String, _ a: String, _ b: String) -> DatasetError {
                DatasetError(file: name, problem: "\(what) \(b), but \(first) has \(a): not shards of one evaluation")
            }
            if part.split != out.split { throw differ("split", out.split, part.split) }
            if part.classes != out.classes {
                throw differ("classes", out.classes.joined(separator: ","), part.classes.joined(separator: ","))
            }
            if part.shardCount != out.shardCount { throw differ("shard count", "\(out.shardCount)", "\(part.shardCount)") }
            for key in Set(out.settings.keys).union(part.settings.keys).sorted() where out.settings[key] != part.settings[key] {
                throw differ("setting \(key) =", out.settings[key] ?? "(none)", part.settings[key] ?? "(none)")
            }
            let describe = { (s: EvaluationShard) in
                s.predictors.map { "\($0.head ?? "maskclip")\($0.rectified ? " rectified" : "")" }.joined(separator: ", ")
            }
            guard part.predictors.map({ [$0.head, $0.templates, "\($0.rectified)"] })
                    == out.predictors.map({ [$0.head, $0.templates, "\($0.rectified)"] }) else {
                throw differ("predictors", describe(out), describe(part))
            }
            let twice = Set(part.shards).intersection(out.shards)
            guard twice.isEmpty else {
                throw DatasetError(file: name, problem: "shard \(twice.sorted().map { "\($0)/\(out.shardCount)" }.joined(separator: ", ")) is already in")
            }
            out.shards += part.shards
            for i in out.predictors.indices {
                let p = part.predictors[i]
                for j in out.predictors[i].counts.indices { out.predictors[i].counts[j] += p.counts[j] }
                out.predictors[i].seconds += p.seconds
                out.predictors[i].perImage += p.perImage
            }
        }
        out.shards.sort()
        return out
    }

    /// Shards not in this file, as `I/N`.
    public var missingShards: [String] {
        (0..<shardCount).filter { !shards.contains($0) }.map { "\($0)/\(shardCount)" }
    }

    /// Each predictor's report, over the images of the shards held.
    public var reports: [EvaluationReport] {
        predictors.map { p in
            EvaluationReport(classes: classes, matrix: ConfusionMatrix(classCount: classes.count, counts: p.counts)!,
                             images: p.perImage.count, perImage: p.perImage.map { ($0.id, $0.mIoU ?? .nan) })
        }
    }

    /// The `--heads` table of the predictors (raw and rectified per head); nil when they are
    /// not heads (`eval` without `--heads`).
    public func headTable(notes: [String]) -> HeadEvaluationTable? {
        let r = reports
        var heads: [DenseHead] = []
        for p in predictors {
            guard let name = p.head, let h = DenseHead(rawValue: name) else { return nil }
            if !heads.contains(h) { heads.append(h) }
        }
        let n = Double(max(1, images))
        let rows = heads.map { head -> HeadEvaluationTable.Row in
            let raw = predictors.firstIndex { $0.head == head.rawValue && !$0.rectified }!
            let rect = predictors.firstIndex { $0.head == head.rawValue && $0.rectified }
            return HeadEvaluationTable.Row(
                head: head, templates: predictors[raw].templates.flatMap(PromptTemplateSet.init(rawValue:)) ?? head.defaultTemplates,
                raw: r[raw], rawSeconds: predictors[raw].seconds / n, rectified: rect.map { r[$0] },
                rectifiedSeconds: rect.map { predictors[$0].seconds / n })
        }
        return HeadEvaluationTable(rows: rows, notes: notes)
    }
}
