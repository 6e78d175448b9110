import Foundation

/// Counts the explorer's background jobs of one kind that are still running, so that the
/// process can tell, when the explorer ends, whether it may exit normally.
///
/// Exiting runs the C library's exit-time destructors, among them OpenBLAS's, which frees the
/// buffers an engine thread may still be multiplying in: quitting mid-computation crashed
/// inside OpenBLAS. So the explorer cancels its jobs, waits briefly, and if engine work is
/// still running leaves with `_exit` (the terminal is restored first; nothing of the user's is
/// being written: saves are waited for in full).
///
/// ```swift
/// let work = WorkInFlight()
/// work.begin(); defer { work.end() }          // inside the job
/// let idle = work.waitUntilIdle(seconds: 0.2)  // on the way out
/// ```
// @unchecked Sendable: `running` is only read or written while `condition` is locked.
public final class WorkInFlight: @unchecked Sendable {
    private let condition = NSCondition()
    private var running = 0

    public init() {}

    /// A job starts.
    public func begin() {
        condition.lock()
        running += 1
        condition.unlock()
    }

    /// A job ends (however it ends).
    public func end() {
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Jobs running now.
    public var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return running
    }

    /// Waits until no job runs or `seconds` pass (nil: no limit); whether none runs.
    public func waitUntilIdle(seconds: Double?) -> Bool {
        let deadline = seconds.map { Date().addingTimeInterval($0) }
        condition.lock()
        defer { condition.unlock() }
        while running > 0 {
            if let deadline {
                if !condition.wait(until: deadline) { return running == 0 }
            } else {
                condition.wait()
            }
        }
        return true
    }
}
