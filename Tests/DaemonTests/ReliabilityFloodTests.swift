import Broker
import Foundation
import TestSupport
import XCTest

/// Issue 6, item 3: a flood of small audio clips, published far faster than two workers go,
/// into a work queue of 8. Resident memory stays under 300 MB, drops are counted (stats and
/// error events), every clip is accounted for (an emotion or an error event) and the daemon
/// answers afterwards. N is 1,000 in CI; `EMOTIOND_FLOOD_CLIPS=10000` runs the issue's figure.
final class ReliabilityFloodTests: ReliabilityTestCase {
    func testFloodKeepsMemoryBoundedCountsDropsAndStaysResponsive() async throws {
        let model = try Checkout.audioModel()
        let count = Int(ProcessInfo.processInfo.environment["EMOTIOND_FLOOD_CLIPS"] ?? "") ?? 1_000
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

        let clip = [UInt8](try Reliability.toneClip(in: scratch, seconds: 0.5))
        let publisher = try await Reliability.publisher(port: broker.port)
        defer { publisher.disconnect() }
        let started = Date()
        var peakRSS = 0
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

        // Every clip accounted for: an emotion event or an error event (dropped / queue_full).
        func accounted() -> (events: Int, drops: Int, other: Int) {
            let emotions = recorder.messages.filter { $0.topic.hasPrefix("emotiond/flood-") && $0.topic.hasSuffix("/emotion") }.count
            let errors = recorder.json(on: "emotiond/errors").filter { ($0["device"] as? String ?? "").hasPrefix("flood-") }
            let drops = errors.filter { ["dropped", "queue_full"].contains($0["code"] as? String ?? "") }.count
            return (emotions, drops, errors.count - drops)
        }
        let deadline = Date().addingTimeInterval(Double(count) * 0.06 + 20)
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
        XCTAssertTrue(Reliability.isRunning(daemon.pid), daemon.log)

        // The stats message counts the drops too.
        try await recorder.wait("stats with the drops", timeout: 5) { _ in
            recorder.json(on: "emotiond/stats").contains { ($0["drops"] as? Int ?? 0) == a.drops }
        }
        // Still answering.
        try publisher.publish(topic: "emotiond/in/after-flood/clip", payload: clip, qos: 1)
        try await recorder.wait("emotion after the flood", timeout: 20) { _ in
            !recorder.messages(on: "emotiond/after-flood/emotion").isEmpty
        }
        print("RELIABILITY flood: \(count) clips of \(clip.count) B published in \(String(format: "%.2f", publishedIn)) s; "
              + "accounted in \(String(format: "%.1f", drainedIn)) s: \(a.events) events, \(a.drops) drops; peak RSS \(peakRSS >> 20) MB")
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)
    }
}
