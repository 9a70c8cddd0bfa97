import XCTest
@testable import Daemon

final class PairingBufferTests: XCTestCase {
    private let clock = ManualClock()

    private func chunk(_ kind: ClipKind, device: String = "cam", id: String, explicit: Bool = true) -> AcceptedClip {
        AcceptedClip(device: device, kind: kind, clipID: id, clipIDIsExplicit: explicit, capturedAt: clock.now,
                     receivedAt: clock.now, payload: Data(kind.rawValue.utf8))
    }

    func testWholeClipsPassStraightThrough() {
        var buffer = PairingBuffer(windowS: 2, clock: clock)
        let jobs = buffer.offer(chunk(.clip, id: "c"))
        XCTAssertEqual(jobs.map(\.parts.count), [1])
        XCTAssertEqual(buffer.count, 0)
    }

    func testPairsByExplicitClipIDAudioFirst() {
        var buffer = PairingBuffer(windowS: 2, clock: clock)
        XCTAssertEqual(buffer.offer(chunk(.video, id: "x")), [])
        XCTAssertEqual(buffer.offer(chunk(.audio, id: "other")), [])
        clock.advance(by: 1.5)
        let jobs = buffer.offer(chunk(.audio, id: "x"))
        XCTAssertEqual(jobs.count, 1)
        XCTAssertEqual(jobs[0].clipID, "x")
        XCTAssertEqual(jobs[0].parts.map(\.kind), [.audio, .video])
        XCTAssertEqual(jobs[0].capturedAt, clock.now - 1.5, "the earlier capture time wins")
        XCTAssertEqual(buffer.count, 1) // "other" still waits
    }

    func testDifferentDevicesNeverPair() {
        var buffer = PairingBuffer(windowS: 2, clock: clock)
        XCTAssertEqual(buffer.offer(chunk(.audio, device: "a", id: "x")), [])
        XCTAssertEqual(buffer.offer(chunk(.video, device: "b", id: "x")), [])
        XCTAssertEqual(buffer.count, 2)
    }

    func testUnpairedChunkIsReleasedAloneWhenTheWindowCloses() {
        var buffer = PairingBuffer(windowS: 2, clock: clock)
        _ = buffer.offer(chunk(.audio, id: "lonely"))
        XCTAssertEqual(buffer.nextDeadline, clock.now + 2)
        clock.advance(by: 1.9)
        XCTAssertEqual(buffer.expire(), [])
        clock.advance(by: 0.1)
        let released = buffer.expire()
        XCTAssertEqual(released.map(\.clipID), ["lonely"])
        XCTAssertEqual(released.first?.parts.map(\.kind), [.audio])
        XCTAssertNil(buffer.nextDeadline)
        // A partner that arrives too late is classified alone as well.
        _ = buffer.offer(chunk(.video, id: "lonely"))
        XCTAssertEqual(buffer.count, 1)
    }

    func testV311ChunksPairByArrivalWithinTheWindow() {
        var buffer = PairingBuffer(windowS: 2, clock: clock)
        _ = buffer.offer(chunk(.audio, id: "gen-1", explicit: false))
        _ = buffer.offer(chunk(.audio, id: "gen-2", explicit: false))
        clock.advance(by: 0.5)
        let jobs = buffer.offer(chunk(.video, id: "gen-3", explicit: false))
        XCTAssertEqual(jobs.first?.clipID, "gen-1", "the oldest waiting chunk is taken, and names the clip")
        XCTAssertEqual(jobs.first?.parts.map(\.kind), [.audio, .video])
        // An explicit id never pairs with a generated one.
        XCTAssertEqual(buffer.offer(chunk(.video, id: "gen-2", explicit: true)), [])
    }

    func testDuplicateChunkReleasesTheEarlierOne() {
        var buffer = PairingBuffer(windowS: 2, clock: clock)
        _ = buffer.offer(chunk(.audio, id: "d"))
        let jobs = buffer.offer(chunk(.audio, id: "d"))
        XCTAssertEqual(jobs.map(\.parts.count), [1])
        XCTAssertEqual(buffer.count, 1)
    }

    func testZeroWindowAndFlush() {
        var immediate = PairingBuffer(windowS: 0, clock: clock)
        XCTAssertEqual(immediate.offer(chunk(.audio, id: "a")).count, 1)
        var buffer = PairingBuffer(windowS: 5, clock: clock)
        _ = buffer.offer(chunk(.audio, id: "a"))
        _ = buffer.offer(chunk(.video, id: "b"))
        XCTAssertEqual(buffer.flush().map(\.clipID), ["a", "b"])
        XCTAssertEqual(buffer.count, 0)
    }
}
