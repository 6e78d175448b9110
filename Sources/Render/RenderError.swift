import FileIO

/// A problem reading, decoding, writing or rendering an image, written for the person at the
/// keyboard: one line naming the file (escaped by `terminalSafe`) and what is wrong with it.
///
/// ```swift
/// do { _ = try ImageFile.read(path: "cat.png") }
/// catch let error as RenderError { print(error) }   // "cat.png: not a PNG or JPEG file"
/// ```
public struct RenderError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Problem: Equatable, Sendable {
        /// The file could not be opened or read.
        case unreadable(String)
        /// The bytes are not a format this reader knows.
        case unsupportedFormat
        /// The decoder refused the data.
        case corrupt(String)
        /// The data ends before the image does.
        case truncated
        /// The header announces more pixels than the limit allows.
        case tooLarge(width: Int, height: Int, limit: Int)
        /// The file could not be written.
        case unwritable(String)
        /// An argument is out of range or inconsistent.
        case invalidArgument(String)
    }

    /// The file concerned (or a short name for in-memory data).
    public var file: String
    /// What went wrong.
    public var problem: Problem

    public init(file: String, _ problem: Problem) {
        self.file = file
        self.problem = problem
    }

    public var description: String {
        let what: String
        switch problem {
        case .unreadable(let why): what = "cannot read the file (\(why))"
        case .unsupportedFormat: what = "not a PNG or JPEG file"
        case .corrupt(let why): what = "corrupt image data (\(why))"
        case .truncated: what = "the file ends before the image does (truncated)"
        case let .tooLarge(w, h, limit):
            what = "image is \(w)x\(h) pixels, over the limit of \(limit / 1_000_000) megapixels"
        case .unwritable(let why): what = "cannot write the file (\(why))"
        case .invalidArgument(let why): what = why
        }
        return "\(terminalSafe(file)): \(what)"
    }
}
