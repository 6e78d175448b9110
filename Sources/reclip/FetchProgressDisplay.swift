import Foundation
import Segmentation

/// Shows `reclip weights fetch` progress on stderr: one line redrawn in place on a terminal,
/// otherwise a plain line at every 10% (or every 30 s when the size is unknown).
///
/// `@unchecked Sendable`: the download reports from one background thread at a time and
/// `finish()` runs after the download has returned; `lock` guards the state regardless.
final class FetchProgressDisplay: @unchecked Sendable {
    let interactive: Bool
    private let lock = NSLock()
    private var lastDecile = -1
    private var lastLine = Date.distantPast
    private var drew = false

    init(interactive: Bool) { self.interactive = interactive }

    func show(_ progress: TransferProgress) {
        lock.lock(); defer { lock.unlock() }
        if interactive {
            FileHandle.standardError.write(Data(("\r" + progress.line() + "\u{1B}[K").utf8))
            drew = true
            return
        }
        let now = Date()
        if let f = progress.fraction {
            let decile = Int(f * 10)
            guard decile > lastDecile else { return }
            lastDecile = decile
        } else {
            guard now.timeIntervalSince(lastLine) >= 30 else { return }
        }
        lastLine = now
        FileHandle.standardError.write(Data((progress.line() + "\n").utf8))
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if interactive && drew { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
