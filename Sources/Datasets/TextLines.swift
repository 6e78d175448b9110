import FileIO
import Foundation

/// The one reader of the line lists dataset folders hold (`classes.txt`, split lists,
/// `captions.txt`): UTF-8, one entry per non-empty line, surrounding spaces trimmed, a size
/// bound checked before reading.
public enum TextLines {
    /// List files over this many bytes are refused (VOC's largest split list is 20 KB).
    public static let maxBytes = 64 << 20

    /// The non-empty lines of `url`, trimmed; `what` names the file in errors ("class list").
    public static func read(_ url: URL, what: String) throws -> [String] {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(url.path, limit: maxBytes) } catch let error as FileError {
            throw DatasetError(file: url.path, problem: "cannot read the \(what) (\(error.reason))")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DatasetError(file: url.path, problem: "the \(what) is not UTF-8 text")
        }
        return text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }
}
