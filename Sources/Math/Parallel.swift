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
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let lo = count * w / workers
        let hi = count * (w + 1) / workers
        if lo < hi { body(lo..<hi) }
    }
}
