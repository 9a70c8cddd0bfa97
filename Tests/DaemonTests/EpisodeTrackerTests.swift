import XCTest
import Fusion
@testable import Daemon

final class EpisodeTrackerTests: XCTestCase {
    private let clock = ManualClock()

    private func tracker(window: Double = 60, minClips: Int = 3, minConfidence: Double = 0.5, timeout: Double = 120) -> EpisodeTracker {
        var settings = DaemonConfiguration.State()
        settings.windowS = window
        settings.episodeMinClips = minClips
        settings.episodeMinConfidence = minConfidence
        settings.episodeTimeoutS = timeout
        return EpisodeTracker(settings: settings, clock: clock)
    }

    func testDominantEmotionOverTheSlidingWindow() {
        var t = tracker(window: 10)
        _ = t.record(device: "cam", emotion: .happy, confidence: 0.9)
        clock.advance(by: 4)
        _ = t.record(device: "cam", emotion: .sad, confidence: 0.6)
        clock.advance(by: 1)
        let update = t.record(device: "cam", emotion: .sad, confidence: 0.6)
        XCTAssertEqual(update.state.emotion, .sad)          // 1.2 vs 0.9
        XCTAssertEqual(update.state.clips, 3)
        XCTAssertEqual(update.state.counts, ["happy": 1, "sad": 2])
        XCTAssertEqual(update.state.confidence, 1.2 / 2.1, accuracy: 1e-5)
        XCTAssertEqual(update.state.windowS, 10)

        clock.advance(by: 6) // the happy clip (11 s old) leaves the window
        XCTAssertEqual(t.state(of: "cam").counts, ["sad": 2])
        clock.advance(by: 10)
        let empty = t.state(of: "cam")
        XCTAssertNil(empty.emotion)
        XCTAssertEqual(empty.clips, 0)
        XCTAssertEqual(t.state(of: "unknown").clips, 0)
    }

    func testEpisodeNewUpdateEnd() throws {
        var t = tracker(window: 60, minClips: 2, minConfidence: 0.5, timeout: 30)
        XCTAssertEqual(t.record(device: "cam", emotion: .angry, confidence: 0.8).events, [])
        clock.advance(by: 1)
        let started = t.record(device: "cam", emotion: .angry, confidence: 0.7)
        XCTAssertEqual(started.events.map(\.type), [.new])
        let episode = try XCTUnwrap(started.events.first?.after)
        XCTAssertNil(started.events.first?.before)
        XCTAssertEqual(episode.emotion, .angry)
        XCTAssertEqual(episode.clips, 2)
        XCTAssertEqual(episode.peakConfidence, 0.8)
        XCTAssertEqual(started.state.episodeID, episode.id)

        // Same emotion again: no event.
        clock.advance(by: 1)
        XCTAssertEqual(t.record(device: "cam", emotion: .angry, confidence: 0.9).events, [])
        XCTAssertEqual(t.episode(of: "cam")?.clips, 3)
        XCTAssertEqual(t.episode(of: "cam")?.peakConfidence, 0.9)

        // Switch to happy: needs as many happy as angry qualifying clips in the window (3),
        // with the count tied, the larger summed confidence wins (2.75 > 2.4).
        for _ in 0..<2 {
            clock.advance(by: 1)
            XCTAssertEqual(t.record(device: "cam", emotion: .happy, confidence: 0.9).events, [])
        }
        clock.advance(by: 1)
        let changed = t.record(device: "cam", emotion: .happy, confidence: 0.95)
        XCTAssertEqual(changed.events.map(\.type), [.update])
        XCTAssertEqual(changed.events.first?.before?.emotion, .angry)
        XCTAssertEqual(changed.events.first?.after.emotion, .happy)
        XCTAssertEqual(changed.events.first?.after.id, episode.id, "same episode, new emotion")

        // Ends after the timeout without qualifying clips; low-confidence clips do not extend it.
        clock.advance(by: 20)
        _ = t.record(device: "cam", emotion: .happy, confidence: 0.2)
        XCTAssertEqual(t.tick(), [])
        clock.advance(by: 10)
        let ended = t.tick()
        XCTAssertEqual(ended.count, 1)
        let end = try XCTUnwrap(ended.first?.events.first)
        XCTAssertEqual(end.type, .end)
        XCTAssertEqual(end.after.endedAt, clock.now)
        XCTAssertNil(end.before?.endedAt)
        XCTAssertNil(ended.first?.state.episodeID)
        XCTAssertNil(t.episode(of: "cam"))
        XCTAssertEqual(t.tick(), [], "an episode ends once")
    }

    func testLowConfidenceClipsDoNotStartEpisodes() {
        var t = tracker(minClips: 2, minConfidence: 0.6)
        for _ in 0..<5 {
            clock.advance(by: 1)
            XCTAssertEqual(t.record(device: "cam", emotion: .fearful, confidence: 0.4).events, [])
        }
        XCTAssertEqual(t.state(of: "cam").emotion, .fearful)
    }

    func testDevicesAreIndependent() {
        var t = tracker(minClips: 1)
        XCTAssertEqual(t.record(device: "a", emotion: .sad, confidence: 0.9).events.map(\.type), [.new])
        XCTAssertEqual(t.record(device: "b", emotion: .calm, confidence: 0.9).events.map(\.type), [.new])
        XCTAssertEqual(t.state(of: "a").emotion, .sad)
        XCTAssertEqual(t.state(of: "b").emotion, .calm)
    }

    func testEpisodeEventJSONShape() throws {
        var t = tracker(minClips: 1)
        let event = try XCTUnwrap(t.record(device: "cam", emotion: .happy, confidence: 0.75).events.first)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: WireJSON.encoder.encode(event)) as? [String: Any])
        XCTAssertEqual(json["type"] as? String, "new")
        let after = try XCTUnwrap(json["after"] as? [String: Any])
        XCTAssertEqual(after["emotion"] as? String, "happy")
        XCTAssertEqual(after["device"] as? String, "cam")
        XCTAssertNotNil(after["started_at"] as? String)
        XCTAssertNotNil(after["peak_confidence"])
        XCTAssertEqual(try WireJSON.decoder.decode(EpisodeEvent.self, from: WireJSON.encoder.encode(event)).after.emotion, .happy)
    }
}
