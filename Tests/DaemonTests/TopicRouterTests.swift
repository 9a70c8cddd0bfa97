import XCTest
@testable import Daemon

final class TopicRouterTests: XCTestCase {
    func testParsesInputTopics() throws {
        let router = try TopicRouter()
        XCTAssertEqual(try router.parseInput("emotiond/in/cam-1/clip"), InboundTopic(device: "cam-1", kind: .clip))
        XCTAssertEqual(try router.parseInput("emotiond/in/door.bell_2/audio"), InboundTopic(device: "door.bell_2", kind: .audio))
        XCTAssertEqual(try router.parseInput("emotiond/in/x/video").kind, .video)
    }

    func testRejectsNonInputTopics() throws {
        let router = try TopicRouter()
        for topic in ["emotiond/in/cam/other", "emotiond/in/cam", "emotiond/in/a/b/clip", "other/in/cam/clip",
                      "emotiond/cam/emotion", "emotiond/in//clip/", "emotiond/in/cam/clip/"] {
            XCTAssertThrowsError(try router.parseInput(topic), topic) { error in
                XCTAssertEqual((error as? TopicError)?.code, "bad_topic", topic)
            }
        }
        XCTAssertThrowsError(try router.parseInput("emotiond/in//clip")) { error in
            XCTAssertEqual((error as? TopicError)?.code, "bad_device_id")
        }
    }

    func testDeviceIDRules() throws {
        let router = try TopicRouter()
        for good in ["a", "Cam_01", "x.y-z", String(repeating: "d", count: 64), "."] {
            XCTAssertNoThrow(try router.validateDeviceID(good), good)
        }
        for bad in ["", String(repeating: "d", count: 65), "a..b", "..", "a b", "caf\u{e9}", "a+b", "a#", "a\u{0}b", "a/b", "$SYS"] {
            XCTAssertThrowsError(try router.validateDeviceID(bad), bad) { error in
                XCTAssertEqual((error as? TopicError)?.code, "bad_device_id", bad)
            }
        }
    }

    func testDeviceIDPatternAddsARule() throws {
        let router = try TopicRouter(deviceIDPattern: "^cam-[0-9]+$")
        XCTAssertNoThrow(try router.parseInput("emotiond/in/cam-7/clip"))
        XCTAssertThrowsError(try router.parseInput("emotiond/in/door/clip"))
        XCTAssertThrowsError(try TopicRouter(deviceIDPattern: "(")) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "intake.device_id_pattern")
        }
    }

    func testOutputTopicsAndFilters() throws {
        let router = try TopicRouter(prefix: "site/emotiond")
        XCTAssertEqual(router.emotionTopic(device: "cam"), "site/emotiond/cam/emotion")
        XCTAssertEqual(router.stateTopic(device: "cam"), "site/emotiond/cam/state")
        XCTAssertEqual(router.eventsTopic, "site/emotiond/events")
        XCTAssertEqual(router.errorsTopic, "site/emotiond/errors")
        XCTAssertEqual(router.availabilityTopic, "site/emotiond/available")
        XCTAssertEqual(router.statsTopic, "site/emotiond/stats")
        XCTAssertEqual(router.inputFilters, ["site/emotiond/in/+/clip", "site/emotiond/in/+/audio", "site/emotiond/in/+/video"])
        XCTAssertEqual(try router.parseInput(router.inputTopic(device: "d", kind: .audio)), InboundTopic(device: "d", kind: .audio))

        let shared = try TopicRouter(sharedGroup: "pool")
        XCTAssertEqual(shared.inputFilters.first, "$share/pool/emotiond/in/+/clip")
    }

    func testConfiguredTopicLevelRules() {
        XCTAssertNil(TopicRouter.problem(withTopicLevel: "a/b", allowSlash: true))
        XCTAssertNotNil(TopicRouter.problem(withTopicLevel: "a/b", allowSlash: false))
        XCTAssertNotNil(TopicRouter.problem(withTopicLevel: "/a", allowSlash: true))
        XCTAssertNotNil(TopicRouter.problem(withTopicLevel: "a//b", allowSlash: true))
        XCTAssertNotNil(TopicRouter.problem(withTopicLevel: "$SYS", allowSlash: true))
        XCTAssertNotNil(TopicRouter.problem(withTopicLevel: "", allowSlash: true))
    }
}
