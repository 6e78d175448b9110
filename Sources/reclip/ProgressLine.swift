import Foundation

/// One line of progress on standard error. On a terminal it is redrawn in place; in a log or a
/// pipe it is written as whole lines: one per tenth of the way, or one every 30 s when the
/// total is unknown, so the file stays readable.
///
/// ```swift
/// let line = ProgressLine()
/// for i in 1...n { line.update("\(i)/\(n) images", done: i, total: n) }
/// line.finish()
/// ```
///
/// `@unchecked Sendable`: progress may be reported from a background thread (downloads);
/// `lock` guards every piece of state.
final class ProgressLine: @unchecked Sendable {
    private let interactive: Bool
    private let lock = NSLock()
    private var lastTenth = -1
    private var lastLine = Date.distantPast
    private var drew = false

    /// `interactive` (redraw in place) defaults to whether standard error is a terminal.
    init(interactive: Bool = isatty(STDERR_FILENO) == 1) { self.interactive = interactive }

    /// Shows `text`, the state after `done` of `total` units of work.
    func update(_ text: String, done: Int, total: Int) {
        update(text, fraction: total > 0 ? Double(min(done, total)) / Double(total) : 1)
    }

    /// Shows `text` at `fraction` (0...1) of the way, or at an unknown point when `nil`.
    func update(_ text: String, fraction: Double?) {
        lock.lock(); defer { lock.unlock() }
        if interactive {
            write("\r" + text + "\u{1B}[K")
            drew = true
            return
        }
        let now = Date()
        if let fraction {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
        } else {
            guard now.timeIntervalSince(lastLine) >= 30 else { return }
        }
        lastLine = now
        write(text + "\n")
    }

    /// Ends the redrawn line on a terminal (the log form already ended each line).
    func finish() {
        lock.lock(); defer { lock.unlock() }
        if interactive && drew { write("\n") }
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
