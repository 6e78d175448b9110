import Foundation
import Math
import FileIO
import ModelFiles

/// The local store of CLIP weights: `$RECLIP_HOME/NAME/model.safetensors`
/// (`RECLIP_HOME` defaults to `~/.cache/reclip`), with the models reclip knows how to fetch.
///
/// ```swift
/// let registry = WeightsRegistry()
/// for entry in try registry.entries() { print(entry.name, entry.isPresent) }
/// let url = registry.weightsFile(for: "openai/clip-vit-base-patch16")
/// ```
public struct WeightsRegistry: Sendable {
    /// A model reclip can download by name.
    public struct KnownModel: Sendable, Equatable {
        /// Registry name, e.g. `openai/clip-vit-base-patch16`.
        public let name: String
        /// Where its `model.safetensors` is downloaded from.
        public let url: URL
        /// The file's SHA-256 when it is pinned here; `nil` means the download checks the
        /// hash its source publishes (`PublishedHash`), or records the hash it computed when
        /// the source publishes none.
        public let sha256: String?
        /// Approximate size in bytes, shown before the server reports one.
        public let approximateBytes: Int
        /// One line on what it is.
        public let summary: String
    }

    /// One model in the registry, known or imported.
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// Whether `name` is one of `knownModels`.
        public let isKnown: Bool
        /// The weights file (which may not exist yet).
        public let file: URL
        /// Size on disk, when present.
        public let bytes: Int?
        /// The SHA-256 recorded when the file was fetched or imported.
        public let recordedSHA256: String?
        /// What the recorded hash was checked against (the record's `#` line), e.g.
        /// `verified against the SHA-256 published by huggingface.co in X-Linked-Etag`.
        public let hashNote: String?
        /// Bytes of an unfinished download waiting to be resumed.
        public let partialBytes: Int?
        public var isPresent: Bool { bytes != nil }
    }

    /// A name or file the registry cannot use.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What is wrong, for the person at the keyboard.
        public let description: String
        public init(description: String) { self.description = description }
    }

    // No SHA-256 is pinned for these files (a pinned value would be checked as it is, with no
    // HEAD request). Before downloading, WeightsDownload asks the resolve URL with a HEAD
    // request, redirects not followed, for the hash HuggingFace publishes for every LFS file
    // (`X-Linked-Etag`, with the size in `X-Linked-Size`; see PublishedHash), checks the
    // finished file against it, and notes "verified against the SHA-256 published by
    // huggingface.co" in model.safetensors.sha256. When no hash is published, the computed
    // hash is recorded with the reason it could not be verified.
    public static let knownModels: [KnownModel] = [
        KnownModel(name: "openai/clip-vit-base-patch16",
                   url: URL(string: "https://huggingface.co/openai/clip-vit-base-patch16/resolve/main/model.safetensors")!,
                   sha256: nil, approximateBytes: 599_000_000,
                   summary: "CLIP ViT-B/16 (ReCLIP's backbone), transformers layout"),
        KnownModel(name: "openai/clip-vit-base-patch32",
                   url: URL(string: "https://huggingface.co/openai/clip-vit-base-patch32/resolve/main/model.safetensors")!,
                   sha256: nil, approximateBytes: 605_000_000,
                   summary: "CLIP ViT-B/32, transformers layout"),
    ]

    /// File name of the weights inside a model's directory.
    public static let fileName = "model.safetensors"

    /// The registry's root directory.
    public let root: URL

    /// The registry at `$RECLIP_HOME`, or `~/.cache/reclip`.
    public init(environment: [String: String] = ReclipHome.processEnvironment) {
        root = ReclipHome.folder(environment: environment)
    }

    /// A registry rooted at `root`.
    public init(root: URL) { self.root = root }

    /// The known model called `name`, if any.
    public static func known(_ name: String) -> KnownModel? { knownModels.first { $0.name == name } }

    /// Checks that `name` is one or more path segments of letters, digits, `.`, `_`, `-`.
    public static func validate(name: String) throws {
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !name.isEmpty, segments.allSatisfy({ s in
            !s.isEmpty && s != "." && s != ".." && s.allSatisfy { allowed.contains($0) }
        }) else {
            throw Failure(description: "'\(name)' is not a usable model name (use segments of letters, digits, '.', '_', '-' separated by '/')")
        }
    }

    /// Directory of model `name`.
    public func directory(for name: String) -> URL { root.appendingPathComponent(name, isDirectory: true) }

    /// The weights file of model `name`.
    public func weightsFile(for name: String) -> URL { directory(for: name).appendingPathComponent(Self.fileName) }

    /// Where an unfinished download of `name` is kept.
    public func partialFile(for name: String) -> URL { directory(for: name).appendingPathComponent(Self.fileName + ".part") }

    /// The file that records the SHA-256 of `name`'s weights.
    public func hashRecord(for name: String) -> URL { directory(for: name).appendingPathComponent(Self.fileName + ".sha256") }

    /// The weights file meant by `nameOrPath`: an existing file path as it is, otherwise the
    /// installed weights of the registry model of that name.
    ///
    /// ```swift
    /// try registry.resolve("openai/clip-vit-base-patch16")   // $RECLIP_HOME/openai/.../model.safetensors
    /// try registry.resolve("./my-clip.safetensors")          // that file
    /// ```
    public func resolve(_ nameOrPath: String) throws -> URL {
        if let kind = PathKind.of(nameOrPath), kind != .folder {
            return URL(fileURLWithPath: nameOrPath)
        }
        guard (try? Self.validate(name: nameOrPath)) != nil else {
            throw Failure(description: "\(terminalSafe(nameOrPath)): no such file, and not a model name")
        }
        let file = weightsFile(for: nameOrPath)
        guard PathKind.of(file.path) != nil else {
            let hint = Self.known(nameOrPath) != nil
                ? "run 'reclip weights fetch \(nameOrPath)'"
                : "see 'reclip weights list', or import a file with 'reclip weights import PATH --name \(nameOrPath)'"
            throw Failure(description: "\(nameOrPath): not installed in \(terminalSafe(root.path)); \(hint)")
        }
        return file
    }

    /// The known models followed by every other model found under the root (installed or
    /// partly downloaded), by name.
    public func entries() throws -> [Entry] {
        var names = Self.knownModels.map(\.name)
        // Folders are listed by their bytes (`FolderListing`), so a registry under a non-UTF-8
        // name is still walked; links to folders are not followed, as FileManager's walker did not.
        var found = [String]()
        func walk(_ folder: String, _ name: String, depth: Int) {
            guard depth < 16, let children = try? FolderListing.names(folder) else { return }
            for child in children.sorted() {
                let path = folder + "/" + child
                if child == Self.fileName || child == Self.fileName + ".part" {
                    if !name.isEmpty && !names.contains(name) && !found.contains(name) { found.append(name) }
                } else if PathKind.of(path, followingLinks: false) == .folder {
                    walk(path, name.isEmpty ? child : name + "/" + child, depth: depth + 1)
                }
            }
        }
        walk(root.path, "", depth: 0)
        names += found.sorted()
        return names.map(entry)
    }

    /// The registry's view of model `name`.
    public func entry(_ name: String) -> Entry {
        func size(_ url: URL) -> Int? { FileStamp.attributes(url.path)?.size }
        let record = (try? FileBytes.read(hashRecord(for: name).path, limit: 1 << 20)).map { String(decoding: $0, as: UTF8.self) }
        let note = record?.split(separator: "\n").first { $0.hasPrefix("# ") }?.dropFirst(2)
        return Entry(name: name, isKnown: Self.known(name) != nil, file: weightsFile(for: name),
                     bytes: size(weightsFile(for: name)),
                     recordedSHA256: record?.split(separator: " ").first.map(String.init),
                     hashNote: note.map(String.init),
                     partialBytes: size(partialFile(for: name)))
    }

    /// Copies the safetensors file at `source` into the registry as `name`, after validating its
    /// header (`SafeTensorsFile`); the copy is written beside its destination and renamed into place.
    @discardableResult
    public func importWeights(from source: URL, as name: String) throws -> Entry {
        try Self.validate(name: name)
        _ = try SafeTensorsFile(path: source.path)
        try FolderCreation.make(directory(for: name).path)
        // Copy while hashing, beside the destination, then rename over any previous file.
        var hasher = SHA256()
        try AtomicFile.writePieces(to: weightsFile(for: name).path) { append in
            try FileBytes.forEachPiece(of: source.path) { piece in
                hasher.update(piece)
                try append(piece)
            }
        }
        try Self.writeAtomically("\(hasher.finalize().hex)  \(Self.fileName)\n", to: hashRecord(for: name))
        return entry(name)
    }

    /// Renames `source` to `destination`, replacing it (same directory: atomic).
    static func moveIntoPlace(_ source: URL, _ destination: URL) throws {
        guard PathBytes.withCString(source.path, { from in PathBytes.withCString(destination.path) { rename(from, $0) } }) == 0 else {
            throw Failure(description: "\(terminalSafe(destination.path)): cannot move into place (\(String(cString: strerror(errno))))")
        }
    }

    /// Writes `text` to `url` atomically (`AtomicFile`).
    static func writeAtomically(_ text: String, to url: URL) throws {
        do { try AtomicFile.write(Array(text.utf8), to: url.path) }
        catch let error as FileError { throw Failure(description: error.description) }
    }
}
