import Foundation

/// One line of progress on standard error. On a terminal it is redrawn in place; in a log or a
/// pipe it is written as whole lines, once per tenth of the way, so the file stays readable.
///
/// ```swift
/// let line = ProgressLine()
/// for i in 1...n { line.update("\(i)/\(n) images", done: i, total: n) }
/// line.finish()
/// ```
final class ProgressLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastTenth = -1

    /// Shows `text`, the state after `done` of `total` units of work.
    func update(_ text: String, done: Int, total: Int) {
        if isTerminal {
            write("\r" + text + "\u{1B}[K")
            return
        }
        let tenth = total > 0 ? min(done, total) * 10 / total : 10
        guard tenth != lastTenth else { return }
        lastTenth = tenth
        write(text + "\n")
    }

    /// Ends the line on a terminal (the log form already ended each line).
    func finish() {
        if isTerminal { write("\n") }
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
