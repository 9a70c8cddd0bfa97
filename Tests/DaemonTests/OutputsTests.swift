import XCTest
import Fusion
@testable import Daemon

final class StatsCollectorTests: XCTestCase {
    func testCountsPercentilesAndJSON() throws {
        let clock = ManualClock()
        let stats = StatsCollector(latencyWindowS: 60, clock: clock)
        for ms in 1...100 { stats.recordClip(device: ms % 2 == 0 ? "even" : "odd", latencyMS: Double(ms)) }
        stats.recordError(device: "odd", code: "decode_failed")
        stats.recordError(device: nil, code: "bad_topic")
        stats.recordError(device: "even", code: "decode_failed")
        stats.recordDrop(device: "even")
        stats.recordReconnect()
        stats.setQueueDepth(7)
        clock.advance(by: 5)

        let s = stats.snapshot()
        XCTAssertEqual(s.clips, 100)
        XCTAssertEqual(s.errors, 3)
        XCTAssertEqual(s.drops, 1)
        XCTAssertEqual(s.reconnects, 1)
        XCTAssertEqual(s.queueDepth, 7)
        XCTAssertEqual(s.uptimeS, 5)
        XCTAssertEqual(s.errorsByCode, ["decode_failed": 2, "bad_topic": 1])
        XCTAssertEqual(s.latencyMS.p50, 50)
        XCTAssertEqual(s.latencyMS.p95, 95)
        XCTAssertEqual(s.latencyMS.max, 100)
        XCTAssertEqual(s.devices["even"]?.clips, 50)
        XCTAssertEqual(s.devices["even"]?.drops, 1)
        XCTAssertEqual(s.devices["odd"]?.errors, 1)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: stats.renderJSON()) as? [String: Any])
        XCTAssertEqual(json["queue_depth"] as? Int, 7)
        XCTAssertEqual((json["latency_ms"] as? [String: Any])?["p95"] as? Double, 95)
        XCTAssertNotNil((json["devices"] as? [String: Any])?["odd"])

        // Latencies older than the window are forgotten; counters are not.
        clock.advance(by: 61)
        XCTAssertNil(stats.snapshot().latencyMS.p50)
        XCTAssertEqual(stats.snapshot().clips, 100)
    }

    func testPrometheusText() {
        let stats = StatsCollector(clock: ManualClock())
        stats.recordClip(device: "cam\"1", latencyMS: 120)
        stats.recordError(device: "cam", code: "decode_failed")
        let text = stats.prometheusText(queueCapacity: 64)
        XCTAssertTrue(text.contains("# TYPE emotiond_clips_total counter\n"))
        XCTAssertTrue(text.contains("emotiond_clips_total{device=\"cam\\\"1\"} 1\n"))
        XCTAssertTrue(text.contains("emotiond_errors_total{code=\"decode_failed\"} 1\n"))
        XCTAssertTrue(text.contains("emotiond_queue_capacity 64\n"))
        XCTAssertTrue(text.contains("emotiond_clip_latency_seconds{quantile=\"0.5\"} 0.12\n"))
    }
}

final class HomeAssistantDiscoveryTests: XCTestCase {
    func testConfigsPerDeviceOnceAndAgainWhenHAComesOnline() throws {
        let discovery = HomeAssistantDiscovery(router: try TopicRouter())
        let messages = discovery.announce(device: "door.cam")
        XCTAssertEqual(messages.map(\.topic), [
            "homeassistant/sensor/emotiond_door_cam_emotion/config",
            "homeassistant/sensor/emotiond_door_cam_confidence/config",
            "homeassistant/sensor/emotiond_door_cam_state/config",
        ])
        XCTAssertTrue(messages.allSatisfy { $0.retain && $0.qos == 1 })
        let emotion = try XCTUnwrap(JSONSerialization.jsonObject(with: messages[0].payload) as? [String: Any])
        XCTAssertEqual(emotion["state_topic"] as? String, "emotiond/door.cam/emotion")
        XCTAssertEqual(emotion["json_attributes_topic"] as? String, "emotiond/door.cam/emotion")
        XCTAssertEqual(emotion["value_template"] as? String, "{{ value_json.emotion }}")
        XCTAssertEqual(emotion["availability_topic"] as? String, "emotiond/available")
        XCTAssertEqual(emotion["unique_id"] as? String, "emotiond_door_cam_emotion")
        XCTAssertEqual((emotion["device"] as? [String: Any])?["identifiers"] as? [String], ["emotiond_door_cam"])
        let confidence = try XCTUnwrap(JSONSerialization.jsonObject(with: messages[1].payload) as? [String: Any])
        XCTAssertEqual(confidence["unit_of_measurement"] as? String, "%")
        XCTAssertFalse(String(decoding: messages[0].payload, as: UTF8.self).contains("\\/"), "slashes are not escaped")

        XCTAssertEqual(discovery.announce(device: "door.cam"), [], "announced once")
        _ = discovery.announce(device: "b")
        XCTAssertEqual(discovery.handleStatus(topic: "homeassistant/status", payload: Data("offline".utf8)), [])
        XCTAssertEqual(discovery.handleStatus(topic: "other", payload: Data("online".utf8)), [])
        XCTAssertEqual(discovery.handleStatus(topic: discovery.statusTopic, payload: Data("online".utf8)).count, 6)
    }
}

final class MessageFactoryTests: XCTestCase {
    func testTopicsQoSAndRetainFlags() throws {
        let factory = MessageFactory(router: try TopicRouter())
        let fused = try XCTUnwrap(LateFusion.fuse([ModalityPrediction(
            modality: .audio, probabilities: [0.05, 0.05, 0.6, 0.05, 0.05, 0.1, 0.05, 0.05], modelID: "audio-test")]))
        let event = EmotionEvent(
            device: "cam", clipID: "c1", capturedAt: Date(timeIntervalSince1970: 1_700_000_000),
            processedAt: Date(timeIntervalSince1970: 1_700_000_001), fused: fused,
            modalities: .init(audio: .init(emotion: .happy, confidence: 0.6, probabilities: Emotion.named(fused.probabilities), durationS: 4)),
            models: ["audio": "audio-test"], latencyMS: ["total": 12])
        let emotion = try factory.emotion(event)
        XCTAssertEqual(emotion.topic, "emotiond/cam/emotion")
        XCTAssertEqual(emotion.qos, 1)
        XCTAssertFalse(emotion.retain)
        XCTAssertEqual(try EmotionEvent.makeDecoder().decode(EmotionEvent.self, from: emotion.payload), event)

        var tracker = EpisodeTracker(settings: .init(), clock: ManualClock())
        let state = try factory.state(tracker.record(event).state)
        XCTAssertEqual(state.topic, "emotiond/cam/state")
        XCTAssertTrue(state.retain)

        let available = factory.availability(online: true)
        XCTAssertEqual(available.topic, "emotiond/available")
        XCTAssertEqual(String(decoding: available.payload, as: UTF8.self), "online")
        XCTAssertTrue(available.retain)
        XCTAssertEqual(String(decoding: factory.lastWill.payload, as: UTF8.self), "offline")

        let stats = try factory.stats(StatsCollector(clock: ManualClock()).snapshot())
        XCTAssertEqual(stats.topic, "emotiond/stats")
        XCTAssertEqual(stats.qos, 0)
        XCTAssertFalse(stats.retain)
    }

    func testErrorEventJSONHasEveryKey() throws {
        let factory = MessageFactory(router: try TopicRouter())
        let message = try factory.error(ErrorEvent(device: nil, clipID: nil, code: "bad_topic", message: "not an input topic: a/b",
                                                   at: Date(timeIntervalSince1970: 1_700_000_000)))
        XCTAssertEqual(message.topic, "emotiond/errors")
        XCTAssertEqual(String(decoding: message.payload, as: UTF8.self),
                       #"{"at":"2023-11-14T22:13:20.000Z","clip_id":null,"code":"bad_topic","device":null,"message":"not an input topic: a/b"}"#)
    }
}
