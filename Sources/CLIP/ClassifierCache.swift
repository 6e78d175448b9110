import Foundation
import Math
import FileIO
import ModelFiles

/// The on-disk cache of text classifiers, so that the 85 (or 80) x K prompts run through the
/// text tower once per (weights, class list, template list); and of each class's row on its
/// own, so that a list with one new class (typed in the explorer) runs only that class's
/// prompts. A row depends on its class name, the templates and the weights alone.
///
/// Key: SHA-256 of the weights file's *content* (`WeightsIdentity`), the class list and the
/// template list. The content hash itself is memoised in the cache folder keyed by the file's
/// path, size and modification time, so a second run costs a `stat`; a changed file (new size
/// or mtime) is hashed again, so changed weights never reuse a stale classifier.
///
/// Folder: `$RECLIP_HOME/cache`, else `~/.cache/reclip/cache` (`ReclipHome`).
///
/// ```swift
/// let cache = try ClassifierCache(weightsFile: url)           // default folder
/// let segmenter = try Segmenter(model: m, classes: c, rectifier: nil, classifierCache: cache)
/// ```
public struct ClassifierCache: Sendable {
    public let folder: URL
    /// Content hash (hex SHA-256) of the CLIP weights the classifiers belong to.
    public let weightsHash: String

    public init(folder: URL = ClassifierCache.defaultFolder, weightsHash: String) {
        self.folder = folder
        self.weightsHash = weightsHash
    }

    /// A cache for the weights in `weightsFile` (hashing it on first use).
    public init(weightsFile: URL, folder: URL = ClassifierCache.defaultFolder) throws {
        self.init(folder: folder, weightsHash: try WeightsIdentity.contentHash(of: weightsFile, memo: folder))
    }

    /// `ReclipHome.cache()`: `$RECLIP_HOME/cache`, else `~/.cache/reclip/cache`.
    public static var defaultFolder: URL { ReclipHome.cache() }

    /// The cache file for a class list and template list. The key holds the templates' text
    /// itself, so an edited list never reuses a stale classifier (ReCLIP's 85 keep the key
    /// they had before the template choice existed).
    public func file(classes: [String], templates: PromptTemplateSet = .reclip85) -> URL {
        var h = SHA256()
        let key = ([weightsHash] + classes + ["--templates--"] + templates.templates).joined(separator: "\n")
        h.update(Data(key.utf8))
        return folder.appendingPathComponent("classifier-\(h.finalize().hex.prefix(32)).safetensors")
    }

    /// The cached classifier, if present and well-formed.
    public func load(classes: [String], templates: PromptTemplateSet = .reclip85) -> TextClassifier? {
        guard let file = try? SafeTensorsFile(path: file(classes: classes, templates: templates).path),
              let t = try? file.tensor("classifier"), t.rank == 2, t.shape[0] == classes.count,
              file.metadata["weights_hash"] == weightsHash,
              (file.metadata["templates"] ?? PromptTemplateSet.reclip85.rawValue) == templates.rawValue else { return nil }
        return TextClassifier(weights: t.data, classCount: t.shape[0], embedDim: t.shape[1])
    }

    /// Stores a classifier (atomically; failures to write are reported, not fatal to callers
    /// that choose to ignore them).
    public func store(_ c: TextClassifier, classes: [String], templates: PromptTemplateSet = .reclip85) throws {
        try FolderCreation.make(folder.path)
        let names = try MetadataJSON.text(classes)
        try SafeTensorsWriter.write([("classifier", Tensor(shape: [c.classCount, c.embedDim], data: c.weights))],
                                    metadata: ["weights_hash": weightsHash, "classes": names,
                                               "templates": templates.rawValue],
                                    to: file(classes: classes, templates: templates).path)
    }

    /// The cache file of one class's row.
    public func rowFile(name: String, templates: PromptTemplateSet = .reclip85) -> URL {
        var h = SHA256()
        let key = ([weightsHash, "--class--", name, "--templates--"] + templates.templates).joined(separator: "\n")
        h.update(Data(key.utf8))
        return folder.appendingPathComponent("class-\(h.finalize().hex.prefix(32)).safetensors")
    }

    /// One class's cached row of `embedDim` values, if present and well-formed for these weights.
    public func loadRow(name: String, templates: PromptTemplateSet = .reclip85, embedDim: Int) -> [Float]? {
        guard let file = try? SafeTensorsFile(path: rowFile(name: name, templates: templates).path),
              let t = try? file.tensor("row"), t.shape == [embedDim], t.data.allSatisfy(\.isFinite),
              file.metadata["weights_hash"] == weightsHash, file.metadata["class"] == name,
              file.metadata["templates"] == templates.rawValue else { return nil }
        return t.data
    }

    /// Stores one class's row (atomically).
    public func storeRow(_ row: [Float], name: String, templates: PromptTemplateSet = .reclip85) throws {
        try FolderCreation.make(folder.path)
        try SafeTensorsWriter.write([("row", Tensor(shape: [row.count], data: row))],
                                    metadata: ["weights_hash": weightsHash, "class": name, "templates": templates.rawValue],
                                    to: rowFile(name: name, templates: templates).path)
    }

    /// The cached classifier for `classes` and `templates`, or one assembled from the classes'
    /// cached rows, with only the classes never seen run through `model` (and stored; a cache
    /// that cannot be written is not an error).
    public func classifier(model: CLIPModel, classes: [String], templates: PromptTemplateSet,
                           tokenizer: CLIPTokenizer) throws -> TextClassifier {
        let D = model.architecture.embedDim
        if let cached = load(classes: classes, templates: templates), cached.embedDim == D {
            return cached
        }
        var rows: [String: [Float]] = [:]
        var missing: [String] = []
        for name in classes where rows[name] == nil && !missing.contains(name) {
            if let row = loadRow(name: name, templates: templates, embedDim: D) { rows[name] = row } else { missing.append(name) }
        }
        if !missing.isEmpty {
            let fresh = try TextClassifier(model: model, classes: missing, tokenizer: tokenizer, templates: templates)
            for (i, name) in missing.enumerated() {
                let row = Array(fresh.weights[(i * D)..<((i + 1) * D)])
                rows[name] = row
                try? storeRow(row, name: name, templates: templates)
            }
        }
        let c = TextClassifier(weights: classes.flatMap { rows[$0]! }, classCount: classes.count, embedDim: D)
        try? store(c, classes: classes, templates: templates)
        return c
    }
}

/// The identity of a weights file: the hex SHA-256 of its bytes, memoised by (path, size, mtime).
public enum WeightsIdentity {
    /// Content hash of `file`; `memo` is a folder holding `weights-hashes.json`.
    public static func contentHash(of file: URL, memo: URL?) throws -> String {
        guard let (size, mtime) = FileStamp.attributes(file.path) else {
            throw FileError(file: file.path, FileBytes.reason(errno))
        }
        let key = "\(file.standardizedFileURL.path)|\(size)|\(mtime)"
        let memoFile = memo?.appendingPathComponent("weights-hashes.json")
        var table: [String: String] = [:]
        if let memoFile, let data = try? Data(FileBytes.read(memoFile.path, limit: 64 << 20)),
           let t = try? JSONDecoder().decode([String: String].self, from: data) { table = t }
        if let known = table[key] { return known }
        let hash = try SHA256.hex(ofFileAt: file)
        if let memo, let memoFile {
            table[key] = hash
            try? FolderCreation.make(memo.path)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if let data = try? encoder.encode(table) {
                try? AtomicFile.write(data, to: memoFile.path)
            }
        }
        return hash
    }
}
