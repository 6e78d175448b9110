@testable import CLIP
import FuzzSupport

// The tokenizer's two table loaders, on text from the input (its first byte picks one; the
// rest is read as UTF-8, as the loaders read their files, invalid bytes becoming U+FFFD):
//   even: the BPE merges file (`MergeTable`), with as many merges as the text has lines after
//         its header, then BPE merges of a few words over the table it built;
//   odd:  the text clean-up tables (`CLIPTextCleaner`), then a clean-up with them.
// Both are internal (CLIPTokenizer's public loader accepts only OpenAI's vocabulary, by its
// SHA-256, and the bundled tables), hence `@testable`, which the fuzz build enables.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVocabulary(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let mode = bytes.first else { return 0 }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    if mode % 2 == 0 {
        let name = "fuzz-merges.txt"
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2 else { return 0 }
        expectingErrors(naming: name) {
            let table = try MergeTable(text: text, source: name, mergeCount: min(lines.count - 1, 4096))
            let words: [[UInt8]] = [Array("hello".utf8), Array("aaaaaaaa".utf8), [0, 255, 128, 10], Array(lines[0].utf8.prefix(64))]
            for word in words {
                let ids = table.bpe(word)
                precondition(!word.isEmpty == !ids.isEmpty && ids.count <= word.count, "\(word) -> \(ids)")
                precondition(ids.allSatisfy { $0 >= 0 && $0 < Int32(CLIPTokenizer.vocabularySize) }, "\(word) -> \(ids)")
            }
        }
    } else {
        let name = "fuzz-tables.txt"
        expectingErrors(naming: name) {
            let cleaner = try CLIPTextCleaner(tables: text, source: name)
            _ = cleaner.clean("Caf\u{E9} &amp; &lt;b&gt; \u{FB01}ne \u{FF21}\u{2019}s")
        }
    }
    return 0
}

runFuzzer(fuzzVocabulary)
