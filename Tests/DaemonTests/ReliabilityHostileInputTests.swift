import Broker
import Foundation
import TestSupport
import XCTest

/// Issue 6, item 1: hostile payloads and topics through the running `emotiond serve`. Each one
/// must come back as an error event with a code, the daemon must stay up (a good clip
/// afterwards still gets its event) and its resident memory must stay bounded.
final class ReliabilityHostileInputTests: ReliabilityTestCase {
    func testHostilePayloadsAndTopicsYieldCodedErrorsAndTheDaemonStaysUp() async throws {
        let model = try Checkout.audioModel()
        let broker = try MosquittoBroker()
        try broker.start()
        self.broker = broker
        let limit = 300_000
        let config = try Reliability.writeConfig(in: scratch, port: broker.port, audioModel: model,
                                                 clientID: "rel-hostile-\(UUID().uuidString.prefix(6))")
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available", "emotiond/errors", "emotiond/+/emotion"])
        defer { recorder.stop() }
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"),
                                       extraArguments: ["--set", "intake.max_payload_bytes=\(limit)"])
        try await recorder.wait("available = online", timeout: 20) { ms in ms.contains { $0.payload == Array("online".utf8) } }
        let rssStart = try XCTUnwrap(Reliability.residentBytes(of: daemon.pid))

        let publisher = try await Reliability.publisher(port: broker.port)
        defer { publisher.disconnect() }
        func send(_ topic: String, _ payload: Data, clipID: String) throws {
            try publisher.publish(topic: topic, payload: [UInt8](payload), qos: 1,
                                  properties: PublishProperties(userProperties: ["clip-id": clipID]))
        }

        var generator = SystemRandomNumberGenerator()
        let random = Data((0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let mp4 = try Data(contentsOf: Checkout.sample("01-01-07-02-02-01-01.mp4"))
        // moov spans bytes 32..5864 of this sample: cut in its middle.
        let truncated = mp4.prefix(3_000)
        let text = Data(String(repeating: "emotiond reliability test: this is a plain text file.\n", count: 40).utf8)
        let oversized = Data(repeating: 0x41, count: limit + 1)
        // Payloads that must each yield an error event with a code (clip id -> accepted codes;
        // an empty set accepts any non-empty code).
        let hostile: [(id: String, payload: Data, codes: Set<String>)] = [
            ("zero-bytes", Data(), []),
            ("random-64k", random, []),
            ("truncated-moov", Data(truncated), []),
            ("text-file", text, ["unsupported_container"]),
            ("oversized", oversized, ["payload_too_large"]),
            ("ten-audio-streams", try Reliability.fixture("ten_audio_streams.mka"), ["too_many_streams"]),
            ("unsupported-avi", try Reliability.fixture("unsupported.avi"), []),
            ("image-png", try Reliability.fixture("image.png"), []),
        ]
        for h in hostile { try send("emotiond/in/hostile/clip", h.payload, clipID: h.id) }

        // Topic-level refusals: a device id of "..", 10 kB, a space, a leading dot pair.
        let longID = String(repeating: "d", count: 10_240)
        let badTopics = ["emotiond/in/../clip", "emotiond/in/\(longID)/clip", "emotiond/in/a b/clip", "emotiond/in/x..y/audio"]
        for (i, topic) in badTopics.enumerated() { try send(topic, mp4, clipID: "bad-topic-\(i)") }

        // NUL in a topic is forbidden by MQTT, so no broker delivers it to the daemon. Our own
        // client does not refuse it either: MosquittoSession.publish hands the Swift string to C,
        // which ends it at the NUL, so this goes out as "emotiond/in/nul" (no input topic; see
        // docs/RELIABILITY.md). Either way the daemon must not produce anything for it.
        var nulRefused = false
        do { try send("emotiond/in/nul\u{0}dev/clip", mp4, clipID: "nul") } catch { nulRefused = true }

        try await recorder.wait("an error event for every hostile payload and topic", timeout: 30) { _ in
            let errors = recorder.json(on: "emotiond/errors")
            let ids = Set(errors.compactMap { $0["clip_id"] as? String })
            let topicErrors = errors.filter { ($0["code"] as? String) == "bad_device_id" }.count
            return hostile.allSatisfy { ids.contains($0.id) } && topicErrors >= badTopics.count
        }
        let errors = recorder.json(on: "emotiond/errors")
        var table: [String] = []
        for h in hostile {
            let event = try XCTUnwrap(errors.first { $0["clip_id"] as? String == h.id })
            let code = event["code"] as? String ?? ""
            XCTAssertFalse(code.isEmpty, "\(h.id): no code in \(event)")
            if !h.codes.isEmpty { XCTAssertTrue(h.codes.contains(code), "\(h.id): code \(code), expected \(h.codes)") }
            XCTAssertEqual(event["device"] as? String, "hostile")
            table.append("\(h.id)=\(code)")
        }
        XCTAssertEqual(errors.filter { ($0["code"] as? String) == "bad_device_id" }.count, badTopics.count)
        XCTAssertTrue(recorder.messages(on: "emotiond/hostile/emotion").isEmpty, "no hostile payload produced an emotion")
        XCTAssertFalse(recorder.messages.contains { $0.topic.hasPrefix("emotiond/nul") }, "nothing for the NUL topic")
        XCTAssertFalse(errors.contains { $0["clip_id"] as? String == "nul" }, "the NUL topic never reached intake")
        XCTAssertTrue(Reliability.isRunning(daemon.pid), "daemon died; log:\n\(daemon.log)")

        // Still serving: a good clip afterwards gets its event.
        try send("emotiond/in/after/clip", try Data(contentsOf: Checkout.sample("03-01-05-02-01-01-01.flac")), clipID: "good-after")
        try await recorder.wait("emotion for the good clip after the hostile ones", timeout: 20) { _ in
            !recorder.messages(on: "emotiond/after/emotion").isEmpty
        }
        let rssEnd = try XCTUnwrap(Reliability.residentBytes(of: daemon.pid))
        XCTAssertLessThan(rssEnd, 300 << 20, "RSS \(rssEnd >> 20) MB")
        print("RELIABILITY hostile: NUL topic refused by client: \(nulRefused); codes \(table.joined(separator: ", ")); RSS start \(rssStart >> 20) MB end \(rssEnd >> 20) MB")

        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)
    }

    /// Crafted headers and decompression bombs (HostileMedia.swift) through the running daemon
    /// with its default limits: each gets an error event with its exact code, counted in
    /// `emotiond/stats` and in the Prometheus error counter; memory stays bounded; the control
    /// file (the same Matroska with sane values) and a good clip afterwards are classified.
    func testCraftedHeadersAndDecompressionBombsYieldTheirCodesAndAreCounted() async throws {
        let model = try Checkout.audioModel()
        let broker = try MosquittoBroker()
        try broker.start()
        self.broker = broker
        let metricsPort = try MosquittoBroker.freePort()
        let config = try Reliability.writeConfig(in: scratch, port: broker.port, audioModel: model,
                                                 clientID: "rel-crafted-\(UUID().uuidString.prefix(6))")
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available", "emotiond/errors",
                                                                             "emotiond/+/emotion", "emotiond/stats"])
        defer { recorder.stop() }
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"), extraArguments: [
            "--set", "outputs.prometheus.enabled=true", "--set", "outputs.prometheus.port=\(metricsPort)"])
        try await recorder.wait("available = online", timeout: 20) { ms in ms.contains { $0.payload == Array("online".utf8) } }
        let rssStart = try XCTUnwrap(Reliability.residentBytes(of: daemon.pid))

        let payloads = HostileMedia.craftedHeaders() + (try HostileMedia.decompressionBombs(in: scratch))
        try HostileMedia.exportSeeds(payloads)
        let publisher = try await Reliability.publisher(port: broker.port)
        defer { publisher.disconnect() }
        let started = Date()
        for p in payloads {
            try publisher.publish(topic: "emotiond/in/crafted/clip", payload: p.bytes, qos: 1,
                                  properties: PublishProperties(userProperties: ["clip-id": p.id]))
        }

        var peakRSS = rssStart
        func answered() -> (errors: [String: String], emotions: Set<String>) {
            var errors: [String: String] = [:]
            for e in recorder.json(on: "emotiond/errors") {
                if let id = e["clip_id"] as? String { errors[id] = e["code"] as? String ?? "" }
            }
            let emotions = recorder.messages(on: "emotiond/crafted/emotion").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any])?["clip_id"] as? String
            }
            return (errors, Set(emotions))
        }
        try await recorder.wait("an answer for every crafted payload", timeout: 60) { _ in
            peakRSS = max(peakRSS, Reliability.residentBytes(of: daemon.pid) ?? 0)
            let a = answered()
            return payloads.allSatisfy { a.errors[$0.id] != nil || a.emotions.contains($0.id) }
        }
        let answeredIn = Date().timeIntervalSince(started)
        let a = answered()
        var table: [String] = []
        for p in payloads {
            if let code = p.code {
                XCTAssertEqual(a.errors[p.id], code, "\(p.id) (\(p.bytes.count) B)")
                XCTAssertFalse(a.emotions.contains(p.id), "\(p.id) was classified")
            } else {
                XCTAssertTrue(a.emotions.contains(p.id), "\(p.id) (the control) got \(a.errors[p.id] ?? "nothing")")
            }
            table.append("\(p.id) \(p.bytes.count) B=\(a.errors[p.id] ?? "emotion")")
        }
        XCTAssertTrue(Reliability.isRunning(daemon.pid), "daemon died; log:\n\(daemon.log)")

        // Counted: emotiond/stats errors_by_code and the Prometheus counter, per code.
        var expected: [String: Int] = [:]
        for p in payloads { if let code = p.code { expected[code, default: 0] += 1 } }
        try await recorder.wait("stats counting every refusal by code", timeout: 10) { _ in
            recorder.json(on: "emotiond/stats").contains { stats in
                let byCode = stats["errors_by_code"] as? [String: Int] ?? [:]
                return expected.allSatisfy { byCode[$0.key] == $0.value }
            }
        }
        let metrics = try Reliability.httpGet(port: metricsPort, path: "/metrics")
        for (code, count) in expected {
            XCTAssertEqual(Reliability.metric("emotiond_errors_total{code=\"\(code)\"}", in: metrics), Double(count), code)
        }

        // Still serving: a good clip afterwards gets its event.
        try publisher.publish(topic: "emotiond/in/after-crafted/clip",
                              payload: [UInt8](try Data(contentsOf: Checkout.sample("03-01-05-02-01-01-01.flac"))), qos: 1)
        try await recorder.wait("emotion for the good clip after the crafted ones", timeout: 20) { _ in
            !recorder.messages(on: "emotiond/after-crafted/emotion").isEmpty
        }
        peakRSS = max(peakRSS, Reliability.residentBytes(of: daemon.pid) ?? 0)
        // The bombs expand to gigabytes if decoded; refused while reading, they cost a few MB.
        XCTAssertLessThan(peakRSS, 200 << 20, "peak RSS \(peakRSS >> 20) MB")
        print("RELIABILITY crafted: answered \(payloads.count) in \(String(format: "%.2f", answeredIn)) s: \(table.joined(separator: ", ")); "
              + "RSS start \(rssStart >> 20) MB peak \(peakRSS >> 20) MB")

        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)
    }
}
