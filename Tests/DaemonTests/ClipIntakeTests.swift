import XCTest
import Fusion
@testable import Daemon

final class ClipIntakeTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-intake-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func makeIntake(maxBytes: Int = 1000) throws -> (ClipIntake, Spool) {
        var limits = DaemonConfiguration.Intake()
        limits.maxPayloadBytes = maxBytes
        let spool = try Spool(directory: dir, durable: false)
        return (ClipIntake(router: try TopicRouter(), limits: limits, spool: spool, makeID: { "generated-1" }), spool)
    }

    private func rejection(_ result: Result<AcceptedClip, IntakeRejection>) -> IntakeRejection? {
        if case .failure(let r) = result { return r }
        return nil
    }

    func testAcceptsJournalsAndTakesV5Properties() throws {
        let (intake, spool) = try makeIntake()
        let received = Date(timeIntervalSince1970: 1_700_000_100)
        let result = intake.accept(InboundMessage(
            topic: "emotiond/in/cam1/clip", payload: Data([1, 2, 3]),
            userProperties: ["clip-id": "abc-1", "captured-at": "2026-01-02T03:04:05.250Z"], receivedAt: received))
        let clip = try result.get()
        XCTAssertEqual(clip.device, "cam1")
        XCTAssertEqual(clip.clipID, "abc-1")
        XCTAssertTrue(clip.clipIDIsExplicit)
        XCTAssertEqual(clip.capturedAt, RFC3339.date(from: "2026-01-02T03:04:05.250Z"))
        XCTAssertEqual(try Spool(directory: dir).pending().map(\.clipID), ["abc-1"])
        XCTAssertEqual(try spool.payload(of: XCTUnwrap(clip.spoolEntry)), Data([1, 2, 3]))

        let replayed = try intake.replay(XCTUnwrap(clip.spoolEntry))
        XCTAssertEqual(replayed.payload, clip.payload)
        XCTAssertEqual(replayed.capturedAt, clip.capturedAt)
    }

    func testV311SendersGetAGeneratedIDAndTheReceiveTime() throws {
        let (intake, _) = try makeIntake()
        let received = Date(timeIntervalSince1970: 1_700_000_100)
        let clip = try intake.accept(InboundMessage(topic: "emotiond/in/cam1/audio", payload: Data([9]), receivedAt: received)).get()
        XCTAssertEqual(clip.clipID, "generated-1")
        XCTAssertFalse(clip.clipIDIsExplicit)
        XCTAssertEqual(clip.capturedAt, received)
    }

    func testCorrelationDataIsAClipID() throws {
        let (intake, _) = try makeIntake()
        let text = try intake.accept(InboundMessage(topic: "emotiond/in/c/clip", payload: Data([1]),
                                                    correlationData: Data("corr-7".utf8), receivedAt: Date())).get()
        XCTAssertEqual(text.clipID, "corr-7")
        let binary = try intake.accept(InboundMessage(topic: "emotiond/in/c/clip", payload: Data([1]),
                                                      correlationData: Data([0, 255]), receivedAt: Date())).get()
        XCTAssertEqual(binary.clipID, "00ff")
    }

    func testRejectionsCarryCodesAndNothingIsJournaled() throws {
        let (intake, _) = try makeIntake(maxBytes: 4)
        let now = Date()
        let cases: [(InboundMessage, String)] = [
            (InboundMessage(topic: "emotiond/in/a+b/clip", payload: Data([1]), receivedAt: now), "bad_device_id"),
            (InboundMessage(topic: "emotiond/in/a/nope", payload: Data([1]), receivedAt: now), "bad_topic"),
            (InboundMessage(topic: "emotiond/in/a/clip", payload: Data(), receivedAt: now), "empty_payload"),
            (InboundMessage(topic: "emotiond/in/a/clip", payload: Data(count: 5), receivedAt: now), "payload_too_large"),
            (InboundMessage(topic: "emotiond/in/a/clip", payload: Data([1]), userProperties: ["clip-id": "has space"],
                            receivedAt: now), "bad_clip_id"),
            (InboundMessage(topic: "emotiond/in/a/clip", payload: Data([1]), userProperties: ["captured-at": "yesterday"],
                            receivedAt: now), "bad_captured_at"),
        ]
        for (message, code) in cases {
            let r = rejection(intake.accept(message))
            XCTAssertEqual(r?.code, code, message.topic)
        }
        XCTAssertEqual(try Spool(directory: dir).pending(), [])

        let event = rejection(intake.accept(cases[3].0))!.event(at: now)
        XCTAssertEqual(event.device, "a")
        XCTAssertEqual(event.code, "payload_too_large")
    }

    func testReplayRefusesJournalEntriesWithBadDeviceOrClipIDs() throws {
        let (intake, spool) = try makeIntake()
        let badDevice = try spool.accept(device: "a/b", kind: .clip, clipID: "x", payload: Data([1]), capturedAt: Date())
        XCTAssertThrowsError(try intake.replay(badDevice)) { XCTAssertEqual(($0 as? TopicError)?.code, "bad_device_id") }
        let badID = try spool.accept(device: "cam", kind: .clip, clipID: "has space", payload: Data([1]), capturedAt: Date())
        XCTAssertThrowsError(try intake.replay(badID)) { XCTAssertEqual(($0 as? SpoolError)?.code, "spool_corrupt") }
    }
}
