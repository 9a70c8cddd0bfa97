import XCTest
import Glibc
@testable import Daemon

final class SignalWatcherTests: XCTestCase {
    private final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var numbers: [Int32] = []
    }

    func testSignalsArriveAsCallbacksAndDoNotKill() throws {
        let received = expectation(description: "SIGHUP and SIGUSR2 reported")
        received.expectedFulfillmentCount = 2
        let seen = Seen()
        let watcher = try SignalWatcher(signals: [SIGHUP, SIGUSR2]) { number in
            seen.lock.withLock { seen.numbers.append(number) }
            received.fulfill()
        }
        kill(getpid(), SIGHUP)
        kill(getpid(), SIGUSR2)
        wait(for: [received], timeout: 5)
        // Ignore (rather than restore the killing default) before cancelling, in case a
        // signal is still in flight.
        signal(SIGHUP, SIG_IGN)
        signal(SIGUSR2, SIG_IGN)
        XCTAssertEqual(Set(seen.lock.withLock { seen.numbers }), [SIGHUP, SIGUSR2])
        watcher.cancel()
        signal(SIGHUP, SIG_IGN)
        signal(SIGUSR2, SIG_IGN)
    }
}
