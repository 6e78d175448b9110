import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Signals delivered as events: a Dispatch signal source per signal appends each arrival to a
/// queue under a lock, and the owner (the explorer's UI loop, or a training run) takes them off
/// in order. No arrival is lost between a check and a clear, as with a flag.
///
/// On Linux libdispatch delivers signals through a signalfd and installs its own handler, so
/// the disposition is left alone; on Darwin the signal must be ignored for the kqueue source to
/// see it without the default action running.
///
/// ```swift
/// let signals = SignalEvents([SIGINT, SIGTERM])
/// if signals.take(SIGINT) { ... }
/// raise(SIGSTOP); _ = signals.wait(for: SIGCONT, seconds: 2)   // the SIGCONT that resumed us
/// signals.cancel()
/// ```
// @unchecked Sendable: `pending` is only read or written while `condition`'s lock is held; the
// sources are created in `init` and only cancelled afterwards.
public final class SignalEvents: @unchecked Sendable {
    /// What the explorer handles itself (SIGWINCH stays with ncurses, which turns it into
    /// `KEY_RESIZE`). SIGQUIT is here so that it, too, restores the terminal before the process ends.
    public static let explorerSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT]

    /// Guards `pending`; signalled on each arrival (`wait(for:seconds:)`).
    private let condition = NSCondition()
    private var pending: [Int32] = []
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "reclip.signals")

    /// Starts watching `signals`.
    public init(_ signals: [Int32]) {
        for s in signals {
            #if canImport(Darwin)
            signal(s, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
            source.setEventHandler { [weak self] in self?.post(s) }
            source.resume()
            sources.append(source)
        }
    }

    /// Queues an arrival of `s` (the sources' handler; tests call it directly).
    func post(_ s: Int32) {
        condition.lock()
        pending.append(s)
        condition.broadcast()
        condition.unlock()
    }

    /// Whether `signal` arrived and was not taken yet; takes its oldest arrival.
    public func take(_ signal: Int32) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return takeLocked(signal)
    }

    /// Takes the oldest arrival of `signal`, waiting for one up to `seconds`; false when none
    /// came by then. For a signal known to be on its way: the kernel has generated it, and the
    /// Dispatch source posts it asynchronously, from its own queue.
    public func wait(for signal: Int32, seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !takeLocked(signal) {
            guard condition.wait(until: deadline) else { return takeLocked(signal) }
        }
        return true
    }

    /// `take(_:)` with the lock held.
    private func takeLocked(_ signal: Int32) -> Bool {
        guard let i = pending.firstIndex(of: signal) else { return false }
        pending.remove(at: i)
        return true
    }

    /// Every arrival not taken yet, oldest first.
    public func drain() -> [Int32] {
        condition.lock()
        defer { condition.unlock() }
        let out = pending
        pending.removeAll()
        return out
    }

    /// Stops watching; signals get their default action again.
    public func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
    }

    deinit { cancel() }
}
