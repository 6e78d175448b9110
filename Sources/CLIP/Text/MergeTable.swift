import Math
import FileIO
import ModelFiles
/// The BPE merge ranks of CLIP's vocabulary, with symbols as vocabulary ids.
///
/// Vocabulary order (as `SimpleTokenizer` builds it): the 256 byte symbols in
/// `bytes_to_unicode` order, the same with `</w>` appended, the merged strings in merge
/// order, then the two special tokens. A symbol is identified by its string, so each id
/// here is the one Python's `dict(zip(vocab, range(...)))` gives that string.
struct MergeTable: Sendable {
    /// Id of each byte as a symbol inside a word, and as the last symbol (with `</w>`).
    private let byteInner: [Int32]
    private let byteFinal: [Int32]
    /// (left id << 32 | right id) -> (rank, id of the merged symbol).
    private let pairs: [UInt64: (rank: Int32, merged: Int32)]

    /// Number of merges `SimpleTokenizer` reads from the file (lines 1 ..< 48895).
    static let mergeCount = 49152 - 256 - 2

    /// The printable bytes that stand for themselves, then every other byte mapped to
    /// U+0100 upwards (`bytes_to_unicode`), as (byte, scalar) in vocabulary order.
    static func byteSymbols() -> [(UInt8, Unicode.Scalar)] {
        var bs = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var cs = bs
        var n = 0
        for b in 0..<256 where !bs.contains(b) {
            bs.append(b)
            cs.append(256 + n)
            n += 1
        }
        return zip(bs, cs).map { (UInt8($0), Unicode.Scalar(UInt32($1))!) }
    }

    /// Reads the merges file's text: a header line, then `mergeCount` lines of two symbols
    /// (later lines are ignored, as `SimpleTokenizer` ignores them). Other counts than CLIP's
    /// are for tests and the fuzz harness, which need small tables.
    init(text: String, source: String, mergeCount: Int = MergeTable.mergeCount) throws {
        precondition(mergeCount >= 1, "a merge table needs at least one merge")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > mergeCount else {
            throw CLIPTokenizer.LoadError(description: "\(source): \(lines.count) lines, expected at least \(mergeCount + 1)")
        }
        // The vocabulary as UTF-8 strings, in id order.
        let symbols = Self.byteSymbols()
        var vocab = [[UInt8]]()
        vocab.reserveCapacity(CLIPTokenizer.vocabularySize)
        for (_, s) in symbols { vocab.append(Array(String(s).utf8)) }
        for (_, s) in symbols { vocab.append(Array((String(s) + "</w>").utf8)) }
        var mergeParts = [([UInt8], [UInt8])]()
        mergeParts.reserveCapacity(mergeCount)
        for (n, line) in lines[1...mergeCount].enumerated() {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else {
                throw CLIPTokenizer.LoadError(description: "\(source): line \(n + 2): expected two symbols, got '\(line)'")
            }
            let pair = (Array(parts[0].utf8), Array(parts[1].utf8))
            mergeParts.append(pair)
            vocab.append(pair.0 + pair.1)
        }
        vocab.append(Array("<|startoftext|>".utf8))
        vocab.append(Array("<|endoftext|>".utf8))
        // Later duplicates win, as in a Python dict built from a list.
        var encoder = [[UInt8]: Int32](minimumCapacity: vocab.count)
        for (id, v) in vocab.enumerated() { encoder[v] = Int32(id) }

        var table = [UInt64: (rank: Int32, merged: Int32)](minimumCapacity: mergeParts.count)
        for (rank, (a, b)) in mergeParts.enumerated() {
            guard let ia = encoder[a], let ib = encoder[b], let m = encoder[a + b] else { continue }
            table[UInt64(UInt32(ia)) << 32 | UInt64(UInt32(ib))] = (Int32(rank), m)
        }
        var inner = [Int32](repeating: 0, count: 256), final = [Int32](repeating: 0, count: 256)
        for (b, s) in symbols {
            inner[Int(b)] = encoder[Array(String(s).utf8)]!
            final[Int(b)] = encoder[Array((String(s) + "</w>").utf8)]!
        }
        byteInner = inner
        byteFinal = final
        pairs = table
    }

    /// Merges the bytes of one word (the end-of-word marker on its last byte) by rank,
    /// lowest first, every non-overlapping occurrence left to right, until no pair has a rank.
    func bpe(_ bytes: [UInt8]) -> [Int32] {
        guard !bytes.isEmpty else { return [] }
        var word = bytes.dropLast().map { byteInner[Int($0)] }
        word.append(byteFinal[Int(bytes.last!)])
        while word.count > 1 {
            var best: (rank: Int32, merged: Int32)? = nil
            var bestKey: UInt64 = 0
            for i in 0..<(word.count - 1) {
                let key = UInt64(UInt32(word[i])) << 32 | UInt64(UInt32(word[i + 1]))
                if let p = pairs[key], best == nil || p.rank < best!.rank {
                    best = p
                    bestKey = key
                }
            }
            guard let merge = best else { break }
            let first = Int32(truncatingIfNeeded: bestKey >> 32), second = Int32(truncatingIfNeeded: bestKey & 0xFFFF_FFFF)
            var next = [Int32]()
            next.reserveCapacity(word.count)
            var i = 0
            while i < word.count {
                if i + 1 < word.count && word[i] == first && word[i + 1] == second {
                    next.append(merge.merged)
                    i += 2
                } else {
                    next.append(word[i])
                    i += 1
                }
            }
            word = next
        }
        return word
    }
}
