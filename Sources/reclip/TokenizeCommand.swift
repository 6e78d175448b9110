import ArgumentParser
import FileIO
import Math
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

/// `reclip tokenize TEXT...`: CLIP token ids of each text, as `clip.tokenize` gives them.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the CLIP token ids of each text (start and end of text included, padding left out).")

    @Argument(help: "Texts to tokenize.")
    var texts: [String]

    @Option(help: "Context length the ids must fit.")
    var contextLength = 77

    @Flag(help: "Cut texts that do not fit, keeping end-of-text last (otherwise they are an error).")
    var truncate = false

    func validate() throws {
        guard contextLength >= 2 else { throw ValidationError("--context-length must be at least 2") }
    }

    func run() throws {
        let tokenizer = try CLIPTokenizer.shared()
        for (text, row) in zip(texts, try tokenizer.tokenize(texts, contextLength: contextLength, truncate: truncate)) {
            let used = row.lastIndex { $0 != 0 }.map { row[...$0] } ?? []
            print("\(text.debugDescription): \(used.map(String.init).joined(separator: " "))")
        }
    }
}
