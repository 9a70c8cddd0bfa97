import XCTest
@testable import Daemon

final class OutgoingQueueGateTests: XCTestCase {
    /// The free slots the gate sees (nil = disconnected), set by the test. Slots granted with
    /// `grant` are seen by one poll only, as in the client, where woken publishers fill them;
    /// a plain value would let a second poll wake more waiters than there was room for.
    private final class Room: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int? = 0
        var free: Int? {
            get {
                lock.withLock {
                    defer { if value != nil { value = 0 } }
                    return value
                }
            }
            set { lock.withLock { value = newValue } }
        }
        func grant(_ slots: Int) { free = slots }
    }

    private func waitUntil(_ condition: () -> Bool) async {
        let deadline = Date() + 5
        while !condition() && Date() < deadline { try? await Task.sleep(nanoseconds: 2_000_000) }
    }

    func testWakesAsManyWaitersAsThereIsRoomThenFailsTheRestOnDisconnect() async {
        let room = Room()
        let gate = OutgoingQueueGate(pollIntervalS: 0.002) { room.free }
        let results = ResultBox()
        let far = Date() + 60
        for _ in 0..<5 { Task { results.add(await gate.waitForRoom(until: far)) } }
        await waitUntil { gate.waiting == 5 }
        try? await Task.sleep(nanoseconds: 20_000_000)
        XCTAssertEqual(results.values, [], "no room, nobody woken")
        room.grant(2)
        await waitUntil { results.values.count == 2 }
        XCTAssertEqual(results.values, [true, true])
        try? await Task.sleep(nanoseconds: 20_000_000)
        XCTAssertEqual(gate.waiting, 3)
        room.free = nil
        await waitUntil { results.values.count == 5 }
        XCTAssertEqual(results.values.filter { !$0 }.count, 3, "disconnected: the rest fail")
        XCTAssertEqual(gate.waiting, 0)
    }

    func testAWaiterGivesUpAtItsDeadline() async {
        let gate = OutgoingQueueGate(pollIntervalS: 0.002) { 0 }
        let started = Date()
        let ok = await gate.waitForRoom(until: Date() + 0.05)
        XCTAssertFalse(ok)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertEqual(gate.waiting, 0)
    }

    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Bool] = []
        func add(_ value: Bool) { lock.withLock { items.append(value) } }
        var values: [Bool] { lock.withLock { items } }
    }
}
