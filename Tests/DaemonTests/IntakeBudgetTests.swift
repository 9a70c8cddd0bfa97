import XCTest
@testable import Daemon

final class IntakeBudgetTests: XCTestCase {
    func testAdmitsWhatFitsAndAlwaysOneMessageWhenNothingIsPending() {
        let budget = IntakeBudget(limitBytes: 100)
        XCTAssertTrue(budget.reserve(60))
        XCTAssertTrue(budget.reserve(40), "exactly full fits")
        XCTAssertFalse(budget.reserve(1))
        XCTAssertEqual(budget.pendingBytes, 100)
        budget.release(60)
        XCTAssertFalse(budget.reserve(61))
        XCTAssertTrue(budget.reserve(60))
        budget.release(100)
        XCTAssertEqual(budget.pendingBytes, 0)
        XCTAssertTrue(budget.reserve(500), "larger than the budget, but nothing is pending")
        XCTAssertFalse(budget.reserve(1))
        XCTAssertEqual(budget.peakPendingBytes, 500)
        budget.release(500)
        budget.release(10)
        XCTAssertEqual(budget.pendingBytes, 0, "never negative")
    }

    func testReloadChangesTheLimitForTheNextMessages() {
        let budget = IntakeBudget(limitBytes: 100)
        XCTAssertTrue(budget.reserve(80))
        budget.limitBytes = 200
        XCTAssertTrue(budget.reserve(100))
        budget.limitBytes = 50
        XCTAssertFalse(budget.reserve(1))
        XCTAssertEqual(budget.limitBytes, 50)
    }

    func testConcurrentReservationsNeverExceedTheLimit() {
        let budget = IntakeBudget(limitBytes: 1_000)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 {
                if budget.reserve(7) {
                    XCTAssertLessThanOrEqual(budget.pendingBytes, 1_000)
                    budget.release(7)
                }
            }
        }
        XCTAssertEqual(budget.pendingBytes, 0)
        XCTAssertLessThanOrEqual(budget.peakPendingBytes, 1_000)
    }
}
