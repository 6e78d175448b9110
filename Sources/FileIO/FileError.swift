/// A file that could not be read or written: the file and the reason, for a one-line message.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path as the user gave it.
    public let file: String
    /// Why, in a few words ("is a directory", "permission denied", ...).
    public let reason: String

    public init(file: String, _ reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(terminalSafe(file)): \(reason)" }
}
