import Broker
import Foundation
import TestSupport
import XCTest

/// Issue 6, item 3: a flood of 10,000 small audio clips (160 MB), published far faster than
/// the daemon journals them (two fsyncs each) or two workers classify them, into a work queue
/// of 8. Resident memory stays under 300 MB (messages are journaled on the MQTT network thread
/// as they are read, so the backlog waits in the broker, not in the daemon), drops are counted
/// (error events `dropped`, `emotiond/stats` `drops`), every clip is accounted for (an emotion
/// or an error event) and the daemon answers afterwards. `EMOTIOND_FLOOD_CLIPS=<n>` changes N.
final class ReliabilityFloodTests: ReliabilityTestCase {
    func testFloodKeepsMemoryBoundedCountsDropsAndStaysResponsive() async throws {
        let model = try Checkout.audioModel()
        let count = Int(ProcessInfo.processInfo.environment["EMOTIOND_FLOOD_CLIPS"] ?? "") ?? 10_000
        let broker = try MosquittoBroker(extraConfig: ["max_queued_messages 0", "max_inflight_messages 0"])
        try broker.start()
        self.broker = broker
        let config = try Reliability.writeConfig(in: scratch, port: broker.port, audioModel: model,
                                                 clientID: "rel-flood-\(UUID().uuidString.prefix(6))")
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available", "emotiond/errors",
                                                                             "emotiond/+/emotion", "emotiond/stats"])
        defer { recorder.stop() }
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"),
                                       extraArguments: ["--set", "workers.queue_capacity=8"])
        try await recorder.wait("available = online", timeout: 20) { ms in ms.contains { $0.payload == Array("online".utf8) } }
        let rssBefore = try XCTUnwrap(Reliability.residentBytes(of: daemon.pid))

        let clip = [UInt8](try Reliability.toneClip(in: scratch, seconds: 0.5))
        let publisher = try await Reliability.publisher(port: broker.port)
        defer { publisher.disconnect() }
        let started = Date()
        var peakRSS = rssBefore
        for i in 0..<count {
            // The test's own client holds at most 1,000 unacknowledged QoS 1 messages; past that
            // it says queue-full and we wait for the broker's acknowledgements (N = 10,000).
            while true {
                do {
                    try publisher.publish(topic: "emotiond/in/flood-\(i % 4)/clip", payload: clip, qos: 1,
                                          properties: PublishProperties(userProperties: ["clip-id": "f-\(i)"]))
                    break
                } catch let error as BrokerError where error.code == .queueFull {
                    try await Task.sleep(nanoseconds: 5_000_000)
                }
            }
            if i % 50 == 0 { peakRSS = max(peakRSS, Reliability.residentBytes(of: daemon.pid) ?? 0) }
        }
        let publishedIn = Date().timeIntervalSince(started)

        // Every clip accounted for: an emotion event or an error event (evicted from the work
        // queue: dropped).
        func accounted() -> (events: Int, drops: Int, other: Int) {
            let emotions = recorder.messages.filter { $0.topic.hasPrefix("emotiond/flood-") && $0.topic.hasSuffix("/emotion") }.count
            let errors = recorder.json(on: "emotiond/errors").filter { ($0["device"] as? String ?? "").hasPrefix("flood-") }
            let codes = errors.map { $0["code"] as? String ?? "" }
            let dropped = codes.filter { $0 == "dropped" }.count
            return (emotions, dropped, errors.count - dropped)
        }
        let deadline = Date().addingTimeInterval(Double(count) * 0.01 + 60)
        while Date() < deadline {
            peakRSS = max(peakRSS, Reliability.residentBytes(of: daemon.pid) ?? 0)
            let a = accounted()
            if a.events + a.drops + a.other >= count { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let a = accounted()
        let drainedIn = Date().timeIntervalSince(started)
        XCTAssertEqual(a.events + a.drops + a.other, count, "events \(a.events) drops \(a.drops) other errors \(a.other)")
        XCTAssertGreaterThan(a.drops, 0, "a queue of 8 must overflow under this flood")
        XCTAssertEqual(a.other, 0, "only drop errors expected")
        XCTAssertLessThan(peakRSS, 300 << 20, "peak RSS \(peakRSS >> 20) MB")
        // Were the received payloads held in memory until journaled, they alone would add up to
        // N x 16 kB (160 MB at 10,000; 255 MB peak was measured that way).
        XCTAssertLessThan(peakRSS - rssBefore, 120 << 20, "RSS grew by \((peakRSS - rssBefore) >> 20) MB")
        XCTAssertTrue(Reliability.isRunning(daemon.pid), daemon.log)

        // The stats message counts the drops too.
        try await recorder.wait("stats with the drops", timeout: 5) { _ in
            recorder.json(on: "emotiond/stats").contains { stats in
                (stats["drops"] as? Int ?? 0) == a.drops
            }
        }
        // Still answering.
        try publisher.publish(topic: "emotiond/in/after-flood/clip", payload: clip, qos: 1)
        try await recorder.wait("emotion after the flood", timeout: 20) { _ in
            !recorder.messages(on: "emotiond/after-flood/emotion").isEmpty
        }
        print("RELIABILITY flood: \(count) clips of \(clip.count) B published in \(String(format: "%.2f", publishedIn)) s; "
              + "accounted in \(String(format: "%.1f", drainedIn)) s: \(a.events) events, \(a.drops) dropped; "
              + "RSS before \(rssBefore >> 20) MB, peak \(peakRSS >> 20) MB")
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)
    }
}
