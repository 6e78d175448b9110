import Dispatch
import Foundation

/// Number of cores the kernels spread row- and head-parallel work over.
public let parallelWorkerCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Calls `body` on contiguous, disjoint sub-ranges covering `0..<count`, one range per worker,
/// concurrently when there is more than one worker and `count >= minimumCount`.
/// `body` must only write to memory its range owns.
public func parallelRanges(_ count: Int, minimumCount: Int = 2, _ body: (Range<Int>) -> Void) {
    let workers = min(parallelWorkerCount, count)
    if workers <= 1 || count < minimumCount {
        if count > 0 { body(0..<count) }
        return
    }
    // Safe to share across the workers: `body` is only called for the duration of this call
    // (concurrentPerform returns after every iteration), and by its contract each call writes
    // only memory its own range owns, so the calls do not race.
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let lo = count * w / workers
        let hi = count * (w + 1) / workers
        guard lo < hi else { return }
        let outer = pthread_getspecific(parallelWorkerKey)
        pthread_setspecific(parallelWorkerKey, UnsafeRawPointer(bitPattern: 1))  // any non-nil value
        defer { pthread_setspecific(parallelWorkerKey, outer) }
        body(lo..<hi)
    }
}

/// True on a thread while it runs a share of `parallelRanges`: work started there (a GEMM, for
/// instance) stays on that thread rather than spreading over cores that are already busy.
public var isInsideParallelWorker: Bool { pthread_getspecific(parallelWorkerKey) != nil }

/// Thread-specific flag behind `isInsideParallelWorker` (created once, never destroyed).
private let parallelWorkerKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key, nil)  // evaluated outside precondition: -Ounchecked drops those
    precondition(status == 0, "pthread_key_create failed")
    return key
}()
