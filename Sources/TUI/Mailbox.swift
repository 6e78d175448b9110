import Foundation

/// Events posted from background work and collected by the UI loop.
///
/// Background tasks call `post`; the UI thread calls `drain` once per loop turn. The array is
/// only touched under the lock, which is why the class can be shared across threads
/// (`@unchecked Sendable`: the lock, not the compiler, guarantees exclusive access).
final class Mailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ExplorerEvent] = []

    func post(_ event: ExplorerEvent) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    /// Every event posted since the last call, oldest first.
    func drain() -> [ExplorerEvent] {
        lock.lock()
        defer { lock.unlock() }
        let out = events
        events.removeAll(keepingCapacity: true)
        return out
    }
}
