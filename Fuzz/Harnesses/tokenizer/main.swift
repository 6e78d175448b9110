import CLIP
import FuzzSupport

// The tokenizer on arbitrary text: `CLIPTokenizer.encode` and `tokenize` (with and without
// truncation), with the bundled vocabulary and clean-up tables, on a string made from the
// input in one of three ways picked by its first byte:
//   0: the bytes as UTF-8, invalid sequences becoming U+FFFD (`String(decoding:)`);
//   1: the bytes as UTF-8 when they are valid, else nothing (`String(validating:)`, as the
//      class lists and captions are read);
//   2: every three bytes a code point (modulo 0x110000, surrogates skipped), to reach the
//      scalars ftfy's fixes, NFC and the case mappings deal with far more often than byte
//      mutations of UTF-8 would.

let tokenizer: CLIPTokenizer = {
    do { return try CLIPTokenizer.shared() } catch { fatalError("fuzz harness: cannot load the tokenizer: \(error)") }
}()

func text(_ bytes: [UInt8]) -> String? {
    guard let mode = bytes.first else { return "" }
    let rest = Array(bytes.dropFirst())
    switch mode % 3 {
    case 0: return String(decoding: rest, as: UTF8.self)
    case 1: return String(validating: rest, as: UTF8.self)
    default:
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i + 3 <= rest.count {
            let v = (UInt32(rest[i]) << 16 | UInt32(rest[i + 1]) << 8 | UInt32(rest[i + 2])) % 0x11_0000
            if let s = Unicode.Scalar(v) { scalars.append(s) }
            i += 3
        }
        return String(scalars)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let text = text(fuzzBytes(data, size)) else { return 0 }
    let ids = tokenizer.encode(text)
    precondition(ids.allSatisfy { $0 >= 0 && $0 < Int32(CLIPTokenizer.vocabularySize) }, "ids out of range: \(ids)")
    do {
        let rows = try tokenizer.tokenize([text], contextLength: 77, truncate: true)
        precondition(rows.count == 1 && rows[0].count == 77 && rows[0].first == CLIPTokenizer.startOfText, "rows \(rows)")
        precondition(rows[0].contains(CLIPTokenizer.endOfText), "no end of text in \(rows[0])")
        _ = try tokenizer.tokenize([text], contextLength: 77, truncate: false)
    } catch let tooLong as CLIPTokenizer.TooLong {
        precondition(tooLong.tokenCount > 77, "refused \(tooLong.tokenCount) tokens")
    } catch {
        preconditionFailure("tokenize threw \(error)")
    }
    return 0
}

runFuzzer(fuzzTokenizer)
