import Foundation
import XCTest
@testable import TUI

/// Signal events are taken in order, and `wait(for:seconds:)` takes one that is on its way
/// (the explorer's `fg`: the SIGCONT that resumed the loop reaches the queue afterwards, from
/// the Dispatch source's own queue). Arrivals are posted here as the sources post them, from
/// another thread, without real signals (a source is armed asynchronously, so a signal sent
/// right after `init` could meet the default action instead); the real SIGCONT of one `fg`
/// is counted by `ExplorerEndToEndTests.testSuspendAndResume`.
final class SignalEventsTests: XCTestCase {
    func testWaitTakesAnArrivalPostedAfterItStarted() {
        let signals = SignalEvents([])
        let sender = Thread { Thread.sleep(forTimeInterval: 0.1); signals.post(SIGCONT) }
        let start = Date()
        sender.start()
        XCTAssertTrue(signals.wait(for: SIGCONT, seconds: 5))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.09, "it waited for the arrival")
        // Taken: neither a second wait nor the queue sees it again.
        XCTAssertFalse(signals.wait(for: SIGCONT, seconds: 0.05))
        XCTAssertEqual(signals.drain(), [])
    }

    func testWaitTakesOneArrivalAndLeavesTheRestInOrder() {
        let signals = SignalEvents([])
        for s in [SIGINT, SIGCONT, SIGTSTP, SIGCONT] { signals.post(s) }
        XCTAssertTrue(signals.wait(for: SIGCONT, seconds: 0), "an arrival already queued is taken at once")
        XCTAssertEqual(signals.drain(), [SIGINT, SIGTSTP, SIGCONT], "the oldest SIGCONT was taken, the rest stay in order")
        XCTAssertFalse(signals.take(SIGCONT))
        XCTAssertFalse(signals.wait(for: SIGCONT, seconds: 0.01), "none left: the bound ends the wait")
    }
}
