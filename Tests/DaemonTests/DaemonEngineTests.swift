import XCTest
import Fusion
@testable import Daemon

/// A processor that classifies by payload text (up to the first NUL): "happy", "sad", ...;
/// anything else fails with a code.
private struct TextProcessor: ClipProcessing {
    struct Broken: CodedError { let code = "decode_failed" }
    let seen: Recorder<ClipJob>

    func process(_ job: ClipJob) async throws -> EmotionEvent {
        var record = job // remember what was asked, without holding on to the media
        for i in record.parts.indices { record.parts[i].payload = Data() }
        await seen.append(record)
        let label = String(decoding: job.parts[0].payload.prefix { $0 != 0 }, as: UTF8.self) // text up to padding
        guard let emotion = Emotion(rawValue: label) else { throw Broken() }
        var p = [Float](repeating: 0.02, count: Emotion.count)
        p[emotion.index] = 0.86
        let prediction = ModalityPrediction(modality: .audio, probabilities: p, modelID: "text")
        return EmotionEvent(device: job.device, clipID: job.clipID, capturedAt: job.capturedAt, processedAt: Date(),
                            fused: LateFusion.fuse([prediction])!, modalities: .init(), models: ["audio": "text"],
                            latencyMS: ["total": 1])
    }
}

private actor Recorder<T: Sendable> {
    private(set) var items: [T] = []
    func append(_ item: T) { items.append(item) }
}

private final class FakePublisher: EventPublishing, @unchecked Sendable {
    let sent = Recorder<OutboundMessage>()
    let failing: Bool
    init(failing: Bool = false) { self.failing = failing }
    func publish(_ message: OutboundMessage) async throws {
        if failing { throw CocoaError(.featureUnsupported) }
        await sent.append(message)
    }
}

private final class FakeStore: ResultStoring, @unchecked Sendable {
    let results = Recorder<EmotionEvent>()
    let errors = Recorder<ErrorEvent>()
    let flushes = Recorder<Int>()
    /// Nanoseconds each error write takes (a slow SQLite).
    var errorDelay: UInt64 = 0
    func record(_ event: EmotionEvent, written: @escaping @Sendable () -> Void) async throws {
        await results.append(event)
        written()
    }
    func recordError(_ event: ErrorEvent) async throws {
        if errorDelay > 0 { try? await Task.sleep(nanoseconds: errorDelay) }
        await errors.append(event)
    }
    func flush() async throws { await flushes.append(1) }
}

final class DaemonEngineTests: XCTestCase {
    private var dir: String!
    private let clock = ManualClock()

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-engine-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private struct Rig {
        let engine: DaemonEngine
        let processed: Recorder<ClipJob>
        let publisher: FakePublisher
        let store: FakeStore
        let spool: Spool
    }

    private func rig(_ edit: (inout DaemonConfiguration) -> Void = { _ in }, failingPublisher: Bool = false) throws -> Rig {
        var config = DaemonConfiguration()
        config.workers.count = 2
        config.state.episodeMinClips = 2
        config.drainTimeoutS = 5
        edit(&config)
        let processed = Recorder<ClipJob>()
        let publisher = FakePublisher(failing: failingPublisher)
        let store = FakeStore()
        let spool = try Spool(directory: dir, durable: false)
        let engine = try DaemonEngine(configuration: config, processor: TextProcessor(seen: processed), publisher: publisher,
                                      store: store, spool: spool, clock: clock, notifier: SystemdNotifier(environment: [:]))
        return Rig(engine: engine, processed: processed, publisher: publisher, store: store, spool: spool)
    }

    private func message(_ device: String, _ text: String, kind: ClipKind = .clip, id: String? = nil) -> InboundMessage {
        InboundMessage(topic: "emotiond/in/\(device)/\(kind.rawValue)", payload: Data(text.utf8),
                       userProperties: id.map { ["clip-id": $0] } ?? [:], receivedAt: clock.now)
    }

    private func eventually(_ what: String, timeout: TimeInterval = 5, _ condition: () async -> Bool) async {
        let deadline = Date() + timeout
        while Date() < deadline {
            if await condition() { return }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        XCTFail("timed out waiting for \(what)")
    }

    private func topics(_ publisher: FakePublisher) async -> [String] { await publisher.sent.items.map(\.topic) }

    func testClipsFlowToResultsStateEpisodesDiscoveryAndStore() async throws {
        let r = try rig()
        try await r.engine.start(timers: false)
        r.engine.handle(message("cam", "happy", id: "c1"))
        r.engine.handle(message("cam", "happy", id: "c2"))
        await eventually("two results stored") { await r.store.results.items.count == 2 }
        await eventually("spool emptied") { (try? Spool(directory: self.dir).pending().isEmpty) ?? false }

        let sent = await r.publisher.sent.items
        XCTAssertEqual(sent.filter { $0.topic == "emotiond/cam/emotion" }.count, 2)
        XCTAssertEqual(sent.filter { $0.topic.hasPrefix("homeassistant/sensor/emotiond_cam_") }.count, 3, "discovery once")
        let states = sent.filter { $0.topic == "emotiond/cam/state" }
        XCTAssertEqual(states.count, 2)
        XCTAssertTrue(states.allSatisfy(\.retain))
        let episodes = try sent.filter { $0.topic == "emotiond/events" }.map { try WireJSON.decoder.decode(EpisodeEvent.self, from: $0.payload) }
        XCTAssertEqual(episodes.map(\.type), [.new])
        XCTAssertEqual(episodes.first?.after.emotion, .happy)
        let storedIDs = await r.store.results.items.map(\.clipID)
        XCTAssertEqual(Set(storedIDs), ["c1", "c2"])
        XCTAssertEqual(r.engine.stats.snapshot().clips, 2)
        XCTAssertEqual(r.engine.subscriptions, ["emotiond/in/+/clip", "emotiond/in/+/audio", "emotiond/in/+/video", "homeassistant/status"])
        await r.engine.drain()
    }

    func testRejectedPayloadsAndFailedClipsBecomeErrorEvents() async throws {
        let r = try rig()
        try await r.engine.start(timers: false)
        r.engine.handle(message("bad+device", "happy"))
        r.engine.handle(message("cam", "broken", id: "b1"))
        await eventually("two errors stored") { await r.store.errors.items.count == 2 }
        let errors = try await r.publisher.sent.items.filter { $0.topic == "emotiond/errors" }
            .map { try WireJSON.decoder.decode(ErrorEvent.self, from: $0.payload) }
        XCTAssertEqual(Set(errors.map(\.code)), ["bad_device_id", "decode_failed"])
        XCTAssertEqual(errors.first { $0.code == "decode_failed" }?.clipID, "b1")
        await eventually("failed clip leaves the spool") { (try? Spool(directory: self.dir).pending().isEmpty) ?? false }
        XCTAssertEqual(r.engine.stats.snapshot().errorsByCode, ["bad_device_id": 1, "decode_failed": 1])
        await r.engine.drain()
    }

    func testSpooledClipsAreReplayedAtStart() async throws {
        let spool = try Spool(directory: dir, durable: false)
        try spool.accept(device: "cam", kind: .clip, clipID: "left-over", payload: Data("sad".utf8), capturedAt: clock.now)
        let r = try rig()
        let replayed = try await r.engine.start(timers: false)
        XCTAssertEqual(replayed, 1)
        await eventually("replayed clip stored") { await r.store.results.items.map(\.clipID) == ["left-over"] }
        await eventually("spool emptied") { (try? Spool(directory: self.dir).pending().isEmpty) ?? false }
        await r.engine.drain()
    }

    func testUndeliveredResultsStayInTheSpool() async throws {
        let r = try rig(failingPublisher: true)
        try await r.engine.start(timers: false)
        r.engine.handle(message("cam", "happy", id: "kept"))
        await eventually("result stored") { await r.store.results.items.count == 1 }
        await r.engine.drain()
        XCTAssertEqual(try Spool(directory: dir).pending().map(\.clipID), ["kept"], "replayed at the next start")
    }

    func testAudioAndVideoChunksArePairedAndLoneChunksReleasedByTheTicker() async throws {
        let r = try rig { $0.pairing.windowS = 2 }
        try await r.engine.start(timers: false)
        r.engine.handle(message("cam", "happy", kind: .video, id: "p1"))
        r.engine.handle(message("cam", "happy", kind: .audio, id: "p1"))
        r.engine.handle(message("cam", "sad", kind: .audio, id: "lonely"))
        await eventually("pair processed") { await r.processed.items.count == 1 }
        let firstKinds = await r.processed.items.first?.parts.map(\.kind)
        XCTAssertEqual(firstKinds, [.audio, .video])
        clock.advance(by: 2.5)
        await r.engine.tick()
        await eventually("lone chunk processed") { await r.processed.items.count == 2 }
        let lastID = await r.processed.items.last?.clipID
        XCTAssertEqual(lastID, "lonely")
        await r.engine.drain()
    }

    func testFullQueueRejectsWithAnErrorAndForgetsTheClip() async throws {
        let r = try rig {
            $0.workers.queueCapacity = 1
            $0.workers.overflowPolicy = .rejectNew
        }
        // Not started: nothing consumes the queue.
        r.engine.handle(message("cam", "happy", id: "first"))
        r.engine.handle(message("cam", "happy", id: "second"))
        await eventually("queue_full reported") { await r.store.errors.items.map(\.code) == ["queue_full"] }
        let refusedID = await r.store.errors.items.first?.clipID
        XCTAssertEqual(refusedID, "second")
        await eventually("refused clip left the spool") { (try? Spool(directory: self.dir).pending().map(\.clipID)) == ["first"] }
        XCTAssertEqual(r.engine.stats.snapshot().drops, 1)
    }

    /// A store slower than the refusals: the error events all go out, at most
    /// `storeBacklogLimit` records wait for the store, the rest are counted as unstored.
    func testErrorEventsDoNotWaitForASlowStoreAndItsBacklogIsBounded() async throws {
        let r = try rig()
        r.store.errorDelay = 60_000_000_000 // longer than the test: the first write never ends
        let count = DaemonEngine.storeBacklogLimit + 50
        for i in 0..<count { r.engine.handle(message("bad+device", "x", id: "e\(i)")) }
        await eventually("every error event published", timeout: 30) {
            await r.publisher.sent.items.filter { $0.topic == "emotiond/errors" }.count == count
        }
        let unstored = r.engine.unstoredErrors
        // One record is being written, `storeBacklogLimit` wait, the rest were not kept.
        XCTAssertTrue((49...50).contains(unstored), "unstored \(unstored)")
        XCTAssertEqual(r.engine.stats.snapshot().errorsByCode["bad_device_id"], count, "stats count them all")
        let stored = await r.store.errors.items.count
        XCTAssertEqual(stored, 0, "the store is still on its first write")
    }

    func testStatsAreSentWhenDue() async throws {
        let r = try rig { $0.outputs.statsIntervalS = 10 }
        await r.engine.tick()
        let early = await topics(r.publisher)
        XCTAssertFalse(early.contains("emotiond/stats"))
        clock.advance(by: 10)
        await r.engine.tick()
        let later = await topics(r.publisher)
        XCTAssertEqual(later.filter { $0 == "emotiond/stats" }.count, 1)
    }

    func testInvalidConfigurationIsAnErrorNotACrash() throws {
        var config = DaemonConfiguration()
        config.workers.queueCapacity = 0
        XCTAssertThrowsError(try DaemonEngine(configuration: config, processor: TextProcessor(seen: Recorder()),
                                              publisher: FakePublisher(), store: FakeStore(), spool: nil)) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "workers.queue_capacity")
        }
    }

    func testReloadAppliesLiveKeysOnly() throws {
        let r = try rig()
        var edited = r.engine.currentConfiguration
        edited.state.windowS = 5
        edited.mqtt.port = 1884
        XCTAssertEqual(r.engine.reload(edited), ["mqtt.port"])
        XCTAssertEqual(r.engine.currentConfiguration.state.windowS, 5)
        XCTAssertEqual(r.engine.currentConfiguration.mqtt.port, 1883)
    }

    func testDrainFinishesQueuedClipsThenGoesOffline() async throws {
        let r = try rig()
        for i in 0..<6 { r.engine.handle(message("cam\(i % 2)", "angry", id: "d\(i)")) }
        try await r.engine.start(timers: false)
        await r.engine.connected(isReconnect: true)
        await r.engine.drain()
        let stored = await r.store.results.items.count
        XCTAssertEqual(stored, 6)
        let flushes = await r.store.flushes.items.count
        XCTAssertEqual(flushes, 1)
        let last = await r.publisher.sent.items.last
        XCTAssertEqual(last?.topic, "emotiond/available")
        XCTAssertEqual(last.map { String(decoding: $0.payload, as: UTF8.self) }, "offline")
        XCTAssertEqual(r.engine.stats.snapshot().reconnects, 1)
        XCTAssertEqual(try Spool(directory: dir).pending(), [])
    }

    func testHomeAssistantOnlineResendsDiscovery() async throws {
        let r = try rig()
        try await r.engine.start(timers: false)
        r.engine.handle(message("cam", "calm", id: "h1"))
        await eventually("processed") { await r.store.results.items.count == 1 }
        r.engine.handle(InboundMessage(topic: "homeassistant/status", payload: Data("online".utf8), receivedAt: clock.now))
        await eventually("discovery re-sent") {
            await r.publisher.sent.items.filter { $0.topic.hasPrefix("homeassistant/sensor/") }.count == 6
        }
        await r.engine.drain()
    }

    /// DESIGN section 7: under a flood, memory stays bounded and every clip is accounted for
    /// (processed or dropped with an error event). 600 clips of 128 KiB (75 MiB in total)
    /// go through a queue of 8 in front of one worker; resident memory may grow by far less.
    func testFloodIsBoundedAndEveryClipIsAccountedFor() async throws {
        let r = try rig {
            $0.workers.count = 1
            $0.workers.queueCapacity = 8
            $0.outputs.homeAssistant.enabled = false
        }
        try await r.engine.start(timers: false)
        let payload = Data("happy".utf8) + Data(count: 128 * 1024)
        let before = Self.residentBytes()
        var peak = before
        for i in 0..<600 {
            var distinct = payload // a buffer of its own per message, as from the network
            distinct[distinct.count - 1] = UInt8(truncatingIfNeeded: i)
            r.engine.handle(InboundMessage(topic: "emotiond/in/cam\(i % 5)/clip", payload: distinct,
                                           userProperties: ["clip-id": "f\(i)"], receivedAt: clock.now))
            if i % 50 == 0 { peak = max(peak, Self.residentBytes()) }
        }
        await r.engine.drain()
        let processed = await r.store.results.items.count
        await eventually("every drop reported") {
            let dropped = await r.store.errors.items.filter { $0.code == "dropped" }.count
            return processed + dropped == 600
        }
        XCTAssertEqual(r.engine.stats.snapshot().drops, 600 - processed)
        XCTAssertGreaterThan(processed, 0)
        XCTAssertLessThan(peak - before, 32 * 1024 * 1024, "resident memory grew by \((peak - before) >> 20) MiB")
        await eventually("spool emptied") { (try? Spool(directory: self.dir).pending().isEmpty) ?? false }
    }

    /// Resident set size from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
