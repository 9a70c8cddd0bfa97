import Broker
import Daemon
import Foundation
import Store
import TestSupport
import XCTest

/// `emotiond serve` end to end: the built binary as a child process, a real mosquitto on a
/// free loopback port, the real models and the sample clips of the repository, a real SQLite
/// file. Skips when models/audio-emotion.safetensors is absent (or EMOTIOND_TEST_AUDIO_MODEL).
final class ServeIntegrationTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var broker: MosquittoBroker!

    override func setUp() async throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() async throws {
        broker?.kill()
        broker = nil
        scratch = nil
    }

    /// A configuration for one daemon under test: short intervals, episodes from the first clip.
    private func writeConfig(port: Int, audioModel: String, clientID: String, workers: Int = 2, extra: String = "") throws -> String {
        let text = """
        mqtt:
          host: 127.0.0.1
          port: \(port)
          client_id: \(clientID)
          keepalive_s: 5
          reconnect:
            initial_s: 0.1
            max_s: 0.5
        workers:
          count: \(workers)
        pairing:
          window_s: 1
        state:
          episode_min_clips: 1
          episode_min_confidence: 0
        store:
          path: \(scratch.path("stats.sqlite"))
          flush_interval_s: 0.2
        spool:
          dir: \(scratch.path("spool"))
        models:
          audio: \(audioModel)
          facial: \(Checkout.facialModel)
        outputs:
          stats_interval_s: 1
        drain_timeout_s: 10
        \(extra)
        """
        let path = scratch.path("emotiond.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func startBroker() throws -> MosquittoBroker {
        let broker = try MosquittoBroker()
        try broker.start()
        self.broker = broker
        return broker
    }

    /// Splits the AV sample into an audio-only and a video-only file with the ffmpeg CLI
    /// (stream copy: the same bytes the device would send as two chunks).
    private func splitAVSample() throws -> (audio: Data, video: Data) {
        let source = Checkout.sample("01-01-07-02-02-01-01.mp4").path
        let audio = scratch.path("chunk-audio.m4a"), video = scratch.path("chunk-video.mp4")
        for (args, out) in [(["-vn", "-c:a", "copy"], audio), (["-an", "-c:v", "copy"], video)] {
            let r = try runCommand(["/usr/bin/ffmpeg", "-v", "error", "-y", "-i", source] + args + [out])
            XCTAssertEqual(r.status, 0, "ffmpeg: \(r.err)")
        }
        return (try Data(contentsOf: URL(fileURLWithPath: audio)), try Data(contentsOf: URL(fileURLWithPath: video)))
    }

    func testServeClassifiesClipsAndChunksReportsErrorsAndDrainsOnSIGTERM() async throws {
        let model = try Checkout.audioModel()
        let broker = try startBroker()
        let config = try writeConfig(port: broker.port, audioModel: model, clientID: "emotiond-it-\(UUID().uuidString.prefix(6))")
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/+/emotion", "emotiond/+/state", "emotiond/events",
                                                                             "emotiond/errors", "emotiond/stats", "emotiond/available",
                                                                             "homeassistant/#"])
        defer { recorder.stop() }
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"))
        try await recorder.wait("available = online", timeout: 20) { ms in
            ms.contains { $0.topic == "emotiond/available" && $0.payload == Array("online".utf8) }
        }

        let publisher = try MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "it-pub", cleanSession: true))
        try await publisher.connect()
        defer { publisher.disconnect() }
        func send(_ topic: String, _ data: Data, clipID: String? = nil) throws {
            try publisher.publish(topic: topic, payload: [UInt8](data), qos: 1,
                                  properties: PublishProperties(userProperties: clipID.map { ["clip-id": $0] } ?? [:]))
        }
        let chunks = try splitAVSample()
        try send("emotiond/in/cam-av/clip", try Data(contentsOf: Checkout.sample("01-01-07-02-02-01-01.mp4")), clipID: "av-1")
        try send("emotiond/in/cam-video/clip", try Data(contentsOf: Checkout.sample("01-01-08-02-01-01-19.mp4")), clipID: "video-1")
        try send("emotiond/in/mic/clip", try Data(contentsOf: Checkout.sample("03-01-05-02-01-01-01.flac")), clipID: "audio-1")
        try send("emotiond/in/cam-split/audio", chunks.audio, clipID: "pair-1")
        try send("emotiond/in/cam-split/video", chunks.video, clipID: "pair-1")
        try send("emotiond/in/junk/clip", Data("this is not media".utf8), clipID: "garbage-1")

        let devices = ["cam-av", "cam-video", "mic", "cam-split"]
        try await recorder.wait("4 emotion events and 1 error event", timeout: 45) { ms in
            devices.allSatisfy { d in ms.contains { $0.topic == "emotiond/\(d)/emotion" } }
                && ms.contains { $0.topic == "emotiond/errors" }
        }

        // Emotion events: schema, modalities, faces.
        func event(_ device: String) throws -> [String: Any] {
            try XCTUnwrap(recorder.json(on: "emotiond/\(device)/emotion").first, "no event for \(device)")
        }
        for device in devices {
            let e = try event(device)
            for key in ["device", "clip_id", "captured_at", "processed_at", "emotion", "confidence", "probabilities",
                        "modalities", "fusion", "models", "latency_ms"] {
                XCTAssertNotNil(e[key], "\(device): key \(key) missing in \(e)")
            }
            XCTAssertEqual(e["device"] as? String, device)
            let probabilities = try XCTUnwrap(e["probabilities"] as? [String: Double])
            XCTAssertEqual(Set(probabilities.keys), ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"])
            XCTAssertEqual(probabilities.values.reduce(0, +), 1, accuracy: 1e-3)
            XCTAssertNotNil((e["latency_ms"] as? [String: Double])?["total"], "\(device): latency_ms.total")
        }
        func used(_ device: String) throws -> Set<String> {
            Set(try XCTUnwrap((try event(device)["fusion"] as? [String: Any])?["modalities_used"] as? [String]))
        }
        func video(_ device: String) throws -> [String: Any] {
            try XCTUnwrap((try event(device)["modalities"] as? [String: Any])?["video"] as? [String: Any], "\(device): modalities.video")
        }
        XCTAssertEqual(try event("cam-av")["clip_id"] as? String, "av-1")
        XCTAssertEqual(try used("cam-av"), ["audio", "video"])
        XCTAssertGreaterThan(try video("cam-av")["faces_found"] as? Int ?? 0, 0, "the AV sample shows a face")
        XCTAssertEqual(try video("cam-av")["frames"] as? Int, 22)
        XCTAssertEqual(try used("cam-video"), ["video"])
        XCTAssertGreaterThan(try video("cam-video")["faces_found"] as? Int ?? 0, 0)
        XCTAssertEqual(try used("mic"), ["audio"])
        XCTAssertNil((try event("mic")["modalities"] as? [String: Any])?["video"] as? [String: Any])
        XCTAssertEqual(try event("cam-split")["clip_id"] as? String, "pair-1", "the two chunks become one clip")
        XCTAssertEqual(try used("cam-split"), ["audio", "video"], "chunks fused")
        XCTAssertEqual(recorder.messages(on: "emotiond/cam-split/emotion").count, 1)

        // Error event for the garbage payload.
        let error = try XCTUnwrap(recorder.json(on: "emotiond/errors").first)
        XCTAssertEqual(error["device"] as? String, "junk")
        XCTAssertEqual(error["clip_id"] as? String, "garbage-1")
        XCTAssertEqual(error["code"] as? String, "unsupported_container")
        XCTAssertFalse((error["message"] as? String ?? "").isEmpty)

        // Episodes (one clip suffices with episode_min_clips 1) and device state.
        try await recorder.wait("episode 'new' and state for every device", timeout: 5) { _ in
            let episodes = recorder.json(on: "emotiond/events")
            return devices.allSatisfy { d in
                episodes.contains { ($0["type"] as? String) == "new" && (($0["after"] as? [String: Any])?["device"] as? String) == d }
                    && !recorder.messages(on: "emotiond/\(d)/state").isEmpty
            }
        }
        // Retained state: a new subscriber gets it at once.
        let late = try await TopicRecorder(port: broker.port, filters: ["emotiond/cam-av/state"])
        defer { late.stop() }
        try await late.wait("retained state of cam-av", timeout: 5) { ms in ms.contains { $0.retain } }
        let state = try XCTUnwrap(late.json(on: "emotiond/cam-av/state").first)
        XCTAssertEqual(state["emotion"] as? String, try event("cam-av")["emotion"] as? String)

        // Stats (every second here) count the clips and the error.
        try await recorder.wait("stats counting 4 clips", timeout: 5) { _ in
            recorder.json(on: "emotiond/stats").contains { ($0["clips"] as? Int) == 4 && ($0["errors"] as? Int) == 1 }
        }
        // Home Assistant discovery for each device that produced a result, retained (a new
        // subscriber, as Home Assistant after a restart, gets them at once).
        let homeAssistant = try await TopicRecorder(port: broker.port, filters: ["homeassistant/sensor/#"])
        defer { homeAssistant.stop() }
        try await homeAssistant.wait("retained discovery configs of every device", timeout: 5) { ms in
            devices.allSatisfy { d in
                ms.contains { $0.retain && $0.topic.hasPrefix("homeassistant/sensor/emotiond_\(d)_") && $0.topic.hasSuffix("/config") }
            }
        }
        let discovery = try XCTUnwrap(homeAssistant.json(on: "homeassistant/sensor/emotiond_cam-av_emotion/config").first)
        XCTAssertEqual(discovery["availability_topic"] as? String, "emotiond/available")
        // Home Assistant coming online again gets every config again.
        let before = homeAssistant.messages.count
        try publisher.publish(topic: "homeassistant/status", payload: Array("online".utf8), qos: 1)
        try await homeAssistant.wait("discovery re-sent after homeassistant/status online", timeout: 5) { ms in
            ms.count >= before + 3 * devices.count
        }

        // SIGTERM: drain, offline, exit 0.
        daemon.signal(SIGTERM)
        let status = daemon.waitForExit(timeout: 15)
        XCTAssertEqual(status, 0, "exit status after SIGTERM; log:\n\(daemon.log)")
        try await recorder.wait("available = offline after SIGTERM", timeout: 5) { ms in
            ms.last { $0.topic == "emotiond/available" }?.payload == Array("offline".utf8)
        }
        XCTAssertFalse(daemon.log.contains("password"), "nothing about passwords in the log")

        // The SQLite aggregates, read as `emotiond stats` does.
        let rows = try StatsQuery(files: [scratch.path("stats.sqlite")], bucket: .minute).run()
        let byDevice = Dictionary(grouping: rows, by: \.device).mapValues { $0.reduce(0) { $0 + $1.clips } }
        XCTAssertEqual(byDevice["cam-av"], 1)
        XCTAssertEqual(byDevice["cam-video"], 1)
        XCTAssertEqual(byDevice["mic"], 1)
        XCTAssertEqual(byDevice["cam-split"], 1)
        XCTAssertEqual(rows.filter { $0.device == "junk" }.reduce(0) { $0 + $1.errors }, 1)
        XCTAssertEqual(rows.filter { $0.device == "cam-av" }.reduce(0) { $0 + $1.audioVideo }, 1)
        XCTAssertEqual(rows.filter { $0.device == "mic" }.reduce(0) { $0 + $1.audioOnly }, 1)
        XCTAssertEqual(rows.filter { $0.device == "cam-video" }.reduce(0) { $0 + $1.videoOnly }, 1)
        // Every clip was completed: the spool holds no entry.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path("spool"))) ?? []
        XCTAssertTrue(left.filter { !$0.hasPrefix(".") }.isEmpty, "spool not empty: \(left)")
    }

    func testLastWillMarksTheDaemonOfflineWhenItIsKilled() async throws {
        let model = try Checkout.audioModel()
        let broker = try startBroker()
        let config = try writeConfig(port: broker.port, audioModel: model, clientID: "emotiond-kill-\(UUID().uuidString.prefix(6))")
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available"])
        defer { recorder.stop() }
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"))
        try await recorder.wait("available = online", timeout: 20) { ms in ms.last?.payload == Array("online".utf8) }
        daemon.signal(SIGKILL)
        XCTAssertEqual(daemon.waitForExit(timeout: 5), 128 + SIGKILL)
        // The socket closes with the process; the broker publishes the will at once.
        try await recorder.wait("available = offline (last will)", timeout: 8) { ms in ms.last?.payload == Array("offline".utf8) }
        let retained = try await TopicRecorder(port: broker.port, filters: ["emotiond/available"])
        defer { retained.stop() }
        try await retained.wait("retained offline", timeout: 5) { ms in ms.contains { $0.retain && $0.payload == Array("offline".utf8) } }
    }

    func testReconnectRepublishesOnlineAndSIGHUPAppliesReloadableKeys() async throws {
        let model = try Checkout.audioModel()
        let broker = try startBroker()
        let clientID = "emotiond-reload-\(UUID().uuidString.prefix(6))"
        let config = try writeConfig(port: broker.port, audioModel: model, clientID: clientID)
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available", "emotiond/errors", "emotiond/+/emotion"])
        defer { recorder.stop() }
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"))
        let online = Array("online".utf8)
        try await recorder.wait("available = online", timeout: 20) { ms in ms.contains { $0.payload == online } }

        // Broker crash and return on the same port: the daemon reconnects and says online again
        // (the retained message died with the non-persistent broker).
        broker.kill()
        try broker.start()
        let before = recorder.messages(on: "emotiond/available").count
        try await recorder.wait("online again after the broker restart", timeout: 10) { _ in
            recorder.messages(on: "emotiond/available").dropFirst(before).contains { $0.payload == online }
        }

        // SIGHUP with a smaller payload limit: the next clip is refused with payload_too_large.
        try (try String(contentsOfFile: config, encoding: .utf8) + "intake:\n  max_payload_bytes: 1000\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await Task.sleep(nanoseconds: 500_000_000)
        let publisher = try MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "it-pub2", cleanSession: true))
        try await publisher.connect()
        defer { publisher.disconnect() }
        try publisher.publish(topic: "emotiond/in/mic/clip", payload: [UInt8](try Data(contentsOf: Checkout.sample("03-01-05-02-01-01-01.flac"))), qos: 1)
        try await recorder.wait("payload_too_large after the reload", timeout: 10) { _ in
            recorder.json(on: "emotiond/errors").contains { $0["code"] as? String == "payload_too_large" }
        }
        XCTAssertTrue(recorder.messages(on: "emotiond/mic/emotion").isEmpty)
        XCTAssertTrue(daemon.log.contains("configuration reloaded"), daemon.log)

        // A broken file on SIGHUP is refused; the daemon keeps running.
        try "mqtt: [".write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await Task.sleep(nanoseconds: 300_000_000)
        XCTAssertNil(daemon.waitForExit(timeout: 0.2), "a bad reload must not stop the daemon")
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)
        XCTAssertTrue(daemon.log.contains("reload refused"), daemon.log)
    }

    func testNoAcceptedClipIsLostWhenTheDaemonIsKilledMidWork() async throws {
        let model = try Checkout.audioModel()
        let broker = try startBroker()
        let clientID = "emotiond-crash-\(UUID().uuidString.prefix(6))"
        let config = try writeConfig(port: broker.port, audioModel: model, clientID: clientID, workers: 1)
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available", "emotiond/+/emotion"])
        defer { recorder.stop() }
        var daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"))
        try await recorder.wait("available = online", timeout: 20) { ms in ms.last?.payload == Array("online".utf8) }

        let publisher = try MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "it-pub3", cleanSession: true))
        try await publisher.connect()
        defer { publisher.disconnect() }
        let clip = [UInt8](try Data(contentsOf: Checkout.sample("01-01-07-02-02-01-01.mp4")))
        let ids = (1...4).map { "crash-\($0)" }
        for id in ids {
            try publisher.publish(topic: "emotiond/in/cam/clip", payload: clip, qos: 1, properties: PublishProperties(userProperties: ["clip-id": id]))
        }
        // Kill while the single worker is busy with the first clips (journaled or still in the
        // broker's queue for our persistent session).
        try await Task.sleep(nanoseconds: 300_000_000)
        daemon.signal(SIGKILL)
        XCTAssertEqual(daemon.waitForExit(timeout: 5), 128 + SIGKILL)
        let doneBefore = Set(recorder.clipIDs(on: "emotiond/cam/emotion"))
        XCTAssertLessThan(doneBefore.count, ids.count, "the kill came too late to test anything")

        daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon2.log"))
        try await recorder.wait("every clip classified after the restart", timeout: 60) { _ in
            Set(recorder.clipIDs(on: "emotiond/cam/emotion")).isSuperset(of: ids)
        }
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)
        // Aggregates count each clip once even when a replay re-published it.
        let rows = try StatsQuery(files: [scratch.path("stats.sqlite")], bucket: .minute).run()
        XCTAssertEqual(rows.filter { $0.device == "cam" }.reduce(0) { $0 + $1.clips }, ids.count)
    }

    func testSystemdNotifyReadyWatchdogAndStopping() async throws {
        let model = try Checkout.audioModel()
        let broker = try startBroker()
        let config = try writeConfig(port: broker.port, audioModel: model, clientID: "emotiond-notify-\(UUID().uuidString.prefix(6))")
        let listener = try NotifyListener(path: scratch.path("notify.sock"))
        // WATCHDOG_USEC of 1 s: the daemon pings every 0.5 s.
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"),
                                       environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"])
        let started = listener.collect(timeout: 20) { got in
            got.contains { $0.contains("READY=1") } && got.contains { $0.contains("WATCHDOG=1") }
        }
        XCTAssertTrue(started.contains { $0.contains("READY=1") }, "no READY=1; got \(started); log:\n\(daemon.log)")
        XCTAssertTrue(started.contains { $0.contains("WATCHDOG=1") }, "no WATCHDOG=1; got \(started)")
        daemon.signal(SIGTERM)
        let stopping = listener.collect(timeout: 5) { got in got.contains { $0.contains("STOPPING=1") } }
        XCTAssertTrue(stopping.contains { $0.contains("STOPPING=1") }, "no STOPPING=1; got \(stopping)")
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)
    }

    func testStartsBeforeTheBrokerAndConnectsWhenItAppears() async throws {
        let model = try Checkout.audioModel()
        let broker = try MosquittoBroker() // its port is chosen, nothing listens yet
        self.broker = broker
        let config = try writeConfig(port: broker.port, audioModel: model, clientID: "emotiond-late-\(UUID().uuidString.prefix(6))")
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"))
        try await Task.sleep(nanoseconds: 1_500_000_000)
        XCTAssertNil(daemon.waitForExit(timeout: 0.1), "an unreachable broker must not stop the daemon; log:\n\(daemon.log)")
        try broker.start()
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available"])
        defer { recorder.stop() }
        try await recorder.wait("available = online once the broker is up", timeout: 10) { ms in
            ms.contains { $0.payload == Array("online".utf8) }
        }
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)

        // SIGTERM while still waiting for a broker: exits 0 promptly.
        let nowhere = try writeConfig(port: try MosquittoBroker.freePort(), audioModel: model, clientID: "emotiond-none")
        let waiting = try DaemonProcess(configFile: nowhere, logFile: scratch.path("daemon2.log"))
        try await Task.sleep(nanoseconds: 1_500_000_000)
        waiting.signal(SIGTERM)
        XCTAssertEqual(waiting.waitForExit(timeout: 3), 0, waiting.log)
        XCTAssertTrue(waiting.log.contains("stopped before the broker was reached"), waiting.log)
    }

    func testConfigurationProblemsExitWith78AndNameTheKey() throws {
        // serve: an unreadable audio model.
        let missing = scratch.path("no-such-model.safetensors")
        let config = try writeConfig(port: 1883, audioModel: missing, clientID: "x")
        let serve = try runCommand([Checkout.binary.path, "serve", "--config", config])
        XCTAssertEqual(serve.status, 78, serve.err)
        XCTAssertTrue(serve.err.contains("models.audio"), serve.err)
        XCTAssertFalse(serve.err.contains("Fatal error"), serve.err)

        // serve: a bad value given as an override.
        let bad = try runCommand([Checkout.binary.path, "serve", "--config", config, "--set", "mqtt.port=70000"])
        XCTAssertEqual(bad.status, 78, bad.err)
        XCTAssertTrue(bad.err.contains("mqtt.port"), bad.err)

        // config check lists every problem with its key.
        let check = try runCommand([Checkout.binary.path, "config", "check", config, "--set", "workers.count=0"])
        XCTAssertEqual(check.status, 78)
        XCTAssertTrue(check.err.contains("models.audio"), check.err)
        XCTAssertTrue(check.err.contains("workers.count"), check.err)

        // A readable file that is not an audio model: config check loads the models and says so.
        let foreign = try writeConfig(port: 1883, audioModel: Checkout.facialModel, clientID: "x")
        let wrong = try runCommand([Checkout.binary.path, "config", "check", foreign])
        XCTAssertEqual(wrong.status, 78, wrong.err)
        XCTAssertTrue(wrong.err.contains("models.audio"), wrong.err)

        // serve: a missing Haar cascade (a fresh config file: writeConfig reuses one path).
        let noCascade = try runCommand([Checkout.binary.path, "serve", "--config",
                                        try writeConfig(port: 1883, audioModel: try Checkout.audioModel(), clientID: "x"),
                                        "--set", "models.cascade=\(scratch.path("no-such-cascade.xml"))"])
        XCTAssertEqual(noCascade.status, 78, noCascade.err)
        XCTAssertTrue(noCascade.err.contains("models.cascade"), noCascade.err)
        XCTAssertFalse(noCascade.err.contains("Fatal error"), noCascade.err)

        // config check on a good file prints the effective configuration, password masked.
        let good = try writeConfig(port: 1883, audioModel: try Checkout.audioModel(), clientID: "x",
                                   extra: "logging:\n  level: debug")
        let ok = try runCommand([Checkout.binary.path, "config", "check", "--config", good,
                                 "--set", "mqtt.username=u", "--set", "mqtt.password=s3cret-value"])
        XCTAssertEqual(ok.status, 0, ok.err)
        XCTAssertTrue(ok.out.contains("mqtt.port: 1883"), ok.out)
        XCTAssertTrue(ok.out.contains("logging.level: debug"), ok.out)
        XCTAssertTrue(ok.out.contains("mqtt.password: ********"), ok.out)
        XCTAssertFalse(ok.out.contains("s3cret-value"), "the password is masked")
    }

    func testStatsCommandMergesTwoDatabasesAsTableJSONAndCSV() throws {
        let a = scratch.path("a.sqlite"), b = scratch.path("b.sqlite")
        let now = Date()
        func result(_ device: String, _ id: String, _ emotion: Int) -> StoredResult {
            var p = [Float](repeating: 0.02, count: 8)
            p[emotion] = 0.86
            return StoredResult(device: device, clipID: id, capturedAt: now, processedAt: now, emotion: .init(index: emotion)!,
                                probabilities: p, modalities: .both, latencyMS: 100)
        }
        do {
            let storeA = try AggregateStore(path: a)
            try storeA.record(batch: [result("kitchen", "1", 2), result("kitchen", "2", 2), result("hall", "3", 3)])
            let storeB = try AggregateStore(path: b)
            try storeB.record(batch: [result("kitchen", "4", 4)])
            try storeB.recordError(device: "kitchen", code: "decode_failed", at: now)
        }
        let binary = Checkout.binary.path
        let json = try runCommand([binary, "stats", "--db", a, "--db", b, "--since", "24h", "--bucket", "1h", "--format", "json"])
        XCTAssertEqual(json.status, 0, json.err)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.out.utf8))
        let rows = try XCTUnwrap((parsed as? [[String: Any]]) ?? ((parsed as? [String: Any])?["rows"] as? [[String: Any]]), json.out)
        let kitchen = try XCTUnwrap(rows.first { $0["device"] as? String == "kitchen" }, json.out)
        XCTAssertEqual(kitchen["clips"] as? Int, 3, "2 clips from a.sqlite + 1 from b.sqlite")
        XCTAssertEqual(kitchen["errors"] as? Int, 1)
        XCTAssertEqual(rows.first { $0["device"] as? String == "hall" }?["clips"] as? Int, 1)

        let csv = try runCommand([binary, "stats", "--db", a, "--db", b, "--format", "csv", "--device", "kitchen"])
        XCTAssertEqual(csv.status, 0, csv.err)
        let lines = csv.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, csv.out)
        XCTAssertTrue(lines[0].hasPrefix("device,bucket_start,clips,errors,dominant"), csv.out)
        XCTAssertTrue(lines[1].hasPrefix("kitchen,"), csv.out)
        XCTAssertTrue(lines[1].contains(",3,1,happy,"), csv.out)

        let svg = scratch.path("kitchen.svg")
        let table = try runCommand([binary, "stats", "--db", a, "--db", b, "--bucket", "1d", "--device", "kitchen", "--plot", svg])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertTrue(table.out.contains("kitchen"), table.out)
        XCTAssertTrue(table.out.contains("happy"), table.out)
        XCTAssertTrue(try String(contentsOfFile: svg, encoding: .utf8).contains("<svg"))

        let missing = try runCommand([binary, "stats", "--db", scratch.path("nope.sqlite")])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("nope.sqlite"), missing.err)
    }
}
