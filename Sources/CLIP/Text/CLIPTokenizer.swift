import Foundation
import Math
import FileIO
import ModelFiles

/// CLIP's byte-level BPE tokenizer, giving the same ids as OpenAI's
/// `clip.simple_tokenizer.SimpleTokenizer` and `clip.tokenize`.
///
/// The 49,152-entry vocabulary is built from the bundled `bpe_simple_vocab_16e6.txt.gz`
/// (checked against its SHA-256 on load): 256 byte symbols, the same with the end-of-word
/// marker `</w>`, 48,894 merges, then `<|startoftext|>` (49406) and `<|endoftext|>` (49407).
///
/// ```swift
/// let tokenizer = try CLIPTokenizer()
/// tokenizer.encode("a photo of a cat.")          // [320, 1125, 539, 320, 2368, 269]
/// try tokenizer.tokenize(["a photo of a cat."])  // [[49406, 320, ..., 49407, 0, 0, ...]]
/// ```
///
/// Text is first cleaned as CLIP does (see `CLIPTextCleaner` for the parts of ftfy that are
/// and are not reproduced), split by CLIP's pattern
/// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// (case-insensitive), and each piece's UTF-8 bytes are merged by rank. Merged pieces are
/// cached, so the tokenizer is shared by reference between copies; it is safe to use from
/// several threads.
public struct CLIPTokenizer: Sendable {
    /// A vocabulary or table file that is missing, altered or malformed. Text quoted from the
    /// file reaches the terminal through `terminalSafe` (control characters as `\xNN`).
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        /// What is wrong, naming the file, in one line.
        public let description: String

        init(description: String) { self.description = terminalSafe(description) }
    }

    /// A text whose tokens do not fit the context and truncation was not asked for.
    public struct TooLong: Error, CustomStringConvertible, Sendable {
        /// The text that did not fit.
        public let text: String
        /// Its length in tokens, counting start and end of text.
        public let tokenCount: Int
        /// The context length it had to fit.
        public let contextLength: Int
        public var description: String {
            "Input \(text) is too long for context length \(contextLength) (\(tokenCount) tokens)"
        }
    }

    /// The SHA-256 of the vocabulary file OpenAI ships with CLIP.
    public static let vocabularySHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
    /// Id of `<|startoftext|>`.
    public static let startOfText: Int32 = 49406
    /// Id of `<|endoftext|>`.
    public static let endOfText: Int32 = 49407
    /// Number of ids (49,408).
    public static let vocabularySize = 49408

    private let merges: MergeTable
    private let cleaner: CLIPTextCleaner
    private let cache: WordCache

    private static let bundled = Result { try CLIPTokenizer() }

    /// The tokenizer built from the bundled vocabulary, loaded once per process (loading takes
    /// about half a second) and shared, cache included, by every caller.
    public static func shared() throws -> CLIPTokenizer { try bundled.get() }

    /// Loads the vocabulary bundled with this library.
    public init() throws {
        guard let vocab = Self.bundledResource("bpe_simple_vocab_16e6.txt", withExtension: "gz"),
              let tables = Self.bundledResource("text_cleaning_tables", withExtension: "txt")
        else {
            throw LoadError(description: "the CLIP vocabulary is missing from the Segmentation bundle (\(Self.resourceFolder ?? Bundle.module.bundlePath))")
        }
        try self.init(vocabularyAt: vocab, tablesAt: tables)
    }

    /// SwiftPM's folder of this target's resources beside the executable, found by the
    /// executable's bytes (`/proc/self/exe`), or nil.
    static var resourceFolder: String? {
        SymbolicLinks.target(of: "/proc/self/exe").map {
            URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("reclip_CLIP.resources").path
        }
    }

    /// A bundled resource: beside the executable first, else through `Bundle.module` (a build
    /// folder, a test bundle). `Bundle.main`, on which `Bundle.module` stands, crashes when the
    /// executable's path is not UTF-8 (an installation under `inst\xE9ll/`), so it is not asked then.
    static func bundledResource(_ name: String, withExtension ext: String) -> URL? {
        if let folder = resourceFolder {
            for sub in ["Resources/", ""] {
                let url = URL(fileURLWithPath: folder).appendingPathComponent(sub + name + "." + ext)
                if PathKind.of(url.path) == .file { return url }
            }
            guard PathBytes.bytes(of: folder) == Array(folder.utf8) else { return nil }
        }
        return Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources")
            ?? Bundle.module.url(forResource: name, withExtension: ext)
    }

    /// Loads a gzipped BPE merges file (which must be OpenAI's, by SHA-256) and the text
    /// clean-up tables.
    public init(vocabularyAt vocab: URL, tablesAt tables: URL) throws {
        let gz: Data
        do { gz = Data(try FileBytes.read(vocab.path, limit: 64 << 20)) } catch let error as FileError {
            throw LoadError(description: "\(terminalSafe(vocab.path)): cannot read the CLIP vocabulary (\(error.reason))")
        }
        let digest = SHA256.hash(gz).hex
        guard digest == Self.vocabularySHA256 else {
            throw LoadError(description: "\(vocab.path): SHA-256 is \(digest), expected \(Self.vocabularySHA256): not CLIP's bpe_simple_vocab_16e6")
        }
        let text = try Inflate.gunzip(gz, what: vocab.path)
        merges = try MergeTable(text: String(decoding: text, as: UTF8.self), source: vocab.path)
        let tableText: String
        do { tableText = String(decoding: try FileBytes.read(tables.path, limit: 64 << 20), as: UTF8.self) } catch let error as FileError {
            throw LoadError(description: "\(terminalSafe(tables.path)): cannot read the text tables (\(error.reason))")
        }
        cleaner = try CLIPTextCleaner(tables: tableText, source: tables.path)
        cache = WordCache()
    }

    /// BPE ids of `text`, without start and end of text (`SimpleTokenizer.encode`).
    public func encode(_ text: String) -> [Int32] {
        let scalars = cleaner.clean(text)
        var ids = [Int32]()
        for piece in PreTokenizer.split(scalars) {
            var bytes = [UInt8]()
            for s in scalars[piece] { bytes.append(contentsOf: UTF8.encode(s)!) }
            if let hit = cache.lookup(bytes) {
                ids.append(contentsOf: hit)
                continue
            }
            let word: [Int32]
            if bytes == PreTokenizer.startBytes {
                word = [Self.startOfText]
            } else if bytes == PreTokenizer.endBytes {
                word = [Self.endOfText]
            } else {
                word = merges.bpe(bytes)
            }
            cache.store(bytes, word)
            ids.append(contentsOf: word)
        }
        return ids
    }

    /// Fixed-length rows `[SOT, ids..., EOT, 0, ...]` as `clip.tokenize` makes them.
    ///
    /// A text longer than `contextLength` is an error unless `truncate` is set, in which
    /// case it keeps its first `contextLength` tokens with the last replaced by EOT.
    public func tokenize(_ texts: [String], contextLength: Int = 77, truncate: Bool = false) throws -> [[Int32]] {
        precondition(contextLength >= 2, "context length \(contextLength) leaves no room for start and end of text")
        return try texts.map { text in
            var tokens = [Self.startOfText] + encode(text) + [Self.endOfText]
            if tokens.count > contextLength {
                guard truncate else { throw TooLong(text: text, tokenCount: tokens.count, contextLength: contextLength) }
                tokens.removeLast(tokens.count - contextLength)
                tokens[contextLength - 1] = Self.endOfText
            }
            return tokens + [Int32](repeating: 0, count: contextLength - tokens.count)
        }
    }
}

/// Merged words by their UTF-8 bytes. Shared by every copy of a tokenizer.
///
/// `@unchecked Sendable`: the dictionary is only touched while holding `lock`.
private final class WordCache: @unchecked Sendable {
    private var words = [[UInt8]: [Int32]]()
    private let lock = NSLock()

    func lookup(_ key: [UInt8]) -> [Int32]? {
        lock.lock(); defer { lock.unlock() }
        return words[key]
    }

    func store(_ key: [UInt8], _ value: [Int32]) {
        lock.lock(); defer { lock.unlock() }
        if words.count > 200_000 { words.removeAll(keepingCapacity: true) }
        words[key] = value
    }
}
