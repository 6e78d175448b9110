import Foundation
import XCTest
import TestSupport
@testable import ModelFiles
@testable import CLIP

/// Checks the tokenizer against ids from OpenAI's `clip` package
/// (scripts/fixtures/make_tokenizer_fixtures.py).
final class CLIPTokenizerTests: XCTestCase {
    struct Entry: Decodable {
        let text: String
        let context_length: Int
        let encode: [Int32]
        let tokens: [Int32]?
        let truncated: [Int32]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/tokenizer").standardized

    static let tokenizer = Result { try CLIPTokenizer.shared() }

    func loadCorpus() throws -> [Entry] {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("corpus.json"))
        return try JSONDecoder().decode([Entry].self, from: data)
    }

    func testCorpusMatchesOpenAIClip() throws {
        let tokenizer = try Self.tokenizer.get()
        let corpus = try loadCorpus()
        XCTAssertGreaterThanOrEqual(corpus.count, 300)
        var failures = 0
        for entry in corpus {
            let ids = tokenizer.encode(entry.text)
            if ids != entry.encode {
                failures += 1
                XCTFail("encode(\(entry.text.debugDescription)) = \(ids), clip gives \(entry.encode)")
            }
            if let expected = entry.tokens {
                XCTAssertEqual(try tokenizer.tokenize([entry.text], contextLength: entry.context_length), [expected],
                               "tokenize(\(entry.text.debugDescription))")
            } else {
                XCTAssertThrowsError(try tokenizer.tokenize([entry.text], contextLength: entry.context_length)) { error in
                    XCTAssertTrue(error is CLIPTokenizer.TooLong, "\(error)")
                }
            }
            XCTAssertEqual(try tokenizer.tokenize([entry.text], contextLength: entry.context_length, truncate: true),
                           [entry.truncated], "tokenize(\(entry.text.debugDescription), truncate: true)")
            if failures > 20 { return }
        }
        // The corpus must exercise truncation, the error and both context lengths.
        XCTAssertTrue(corpus.contains { $0.tokens == nil })
        XCTAssertTrue(corpus.contains { $0.context_length != 77 })
    }

    func testCopiesShareAndAgree() throws {
        let tokenizer = try Self.tokenizer.get()
        let texts = try loadCorpus().prefix(64).map(\.text)
        let expected = texts.map { tokenizer.encode($0) }
        // Safe: each iteration writes only its own slot, and the buffer outlives the loop.
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<[Int32]>.allocate(capacity: texts.count)
        defer { results.deallocate() }
        results.initialize(repeating: [])
        let copy = tokenizer
        DispatchQueue.concurrentPerform(iterations: texts.count) { i in
            results[i] = copy.encode(texts[i])
        }
        XCTAssertEqual(Array(results), expected)
    }

    func testRejectsAlteredVocabulary() throws {
        let dir = try scratchFolder("clip-vocab")
        let vocab = dir.appendingPathComponent("bpe_simple_vocab_16e6.txt.gz")
        try Data([0x1f, 0x8b, 0x08, 0x00]).write(to: vocab)
        let tables = dir.appendingPathComponent("tables.txt")
        try Data().write(to: tables)
        XCTAssertThrowsError(try CLIPTokenizer(vocabularyAt: vocab, tablesAt: tables)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(vocab.path) && message.contains("SHA-256"), message)
        }
    }
}
