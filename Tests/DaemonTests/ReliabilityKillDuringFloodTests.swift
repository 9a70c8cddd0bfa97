import Broker
import Foundation
import Store
import TestSupport
import XCTest

/// Issue 6, faults: the daemon is stopped in the middle of a flood, once with SIGKILL and once
/// with SIGTERM, then started again. Every clip the broker accepted ends up stored exactly once
/// (the spool and the broker's persistent session hand back what was not finished), the SQLite
/// file passes `PRAGMA integrity_check`, and SIGTERM drains within its bound, says offline and
/// exits 0.
final class ReliabilityKillDuringFloodTests: ReliabilityTestCase {
    private let count = 200

    func testSIGKILLDuringAFloodLosesAndDoubleCountsNothing() async throws {
        try await floodThenStop(with: SIGKILL)
    }

    func testSIGTERMDuringAFloodDrainsSaysOfflineExitsZeroAndLosesNothing() async throws {
        try await floodThenStop(with: SIGTERM)
    }

    private func floodThenStop(with signal: Int32) async throws {
        let model = try Checkout.audioModel()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else { throw XCTSkip("sqlite3 CLI missing (make deps installs it)") }
        let broker = try MosquittoBroker(extraConfig: ["max_queued_messages 0", "max_inflight_messages 0"])
        try broker.start()
        self.broker = broker
        // One worker and a queue that holds the whole flood: nothing is dropped by policy, so
        // every clip must come out as exactly one stored result.
        let config = try Reliability.writeConfig(in: scratch, port: broker.port, audioModel: model,
                                                 clientID: "rel-stop-\(UUID().uuidString.prefix(6))", workers: 1)
        let settings = ["--set", "workers.queue_capacity=\(count)"]
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available", "emotiond/errors",
                                                                             "emotiond/+/emotion"])
        defer { recorder.stop() }
        var daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon-1.log"), extraArguments: settings)
        try await recorder.wait("online", timeout: 20) { ms in ms.contains { $0.payload == Array("online".utf8) } }

        let clip = [UInt8](try Reliability.toneClip(in: scratch, seconds: 0.5))
        let publisher = try await Reliability.publisher(port: broker.port)
        defer { publisher.disconnect() }
        let ids = (0..<count).map { "k-\($0)" }
        for id in ids {
            try publisher.publish(topic: "emotiond/in/stop/clip", payload: clip, qos: 1,
                                  properties: PublishProperties(userProperties: ["clip-id": id]))
        }
        func done() -> Set<String> {
            Set(recorder.clipIDs(on: "emotiond/stop/emotion"))
        }
        try await recorder.wait("the flood under way", timeout: 30) { _ in done().count >= 20 }

        let atStop = done().count
        XCTAssertLessThan(atStop, count, "the stop came too late to test anything")
        let stoppedAt = Date()
        daemon.signal(signal)
        let status = daemon.waitForExit(timeout: 20)
        let stopSeconds = Date().timeIntervalSince(stoppedAt)
        let before = done().count
        if signal == SIGTERM {
            XCTAssertEqual(status, 0, daemon.log)
            XCTAssertLessThan(stopSeconds, 15, "drain_timeout_s is 10")
            try await recorder.wait("offline after SIGTERM", timeout: 5) { ms in
                ms.last { $0.topic == "emotiond/available" }?.payload == Array("offline".utf8)
            }
        } else {
            XCTAssertEqual(status, 128 + SIGKILL)
        }

        daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon-2.log"), extraArguments: settings)
        try await recorder.wait("every clip classified after the restart", timeout: 90) { _ in done().isSuperset(of: ids) }
        try await Task.sleep(nanoseconds: 500_000_000)
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 20), 0, daemon.log)

        let db = scratch.path("stats-a.sqlite")
        let rows = try StatsQuery(files: [db], bucket: .minute).run()
        let stored = rows.filter { $0.device == "stop" }.reduce(0) { $0 + $1.clips }
        XCTAssertEqual(stored, count, "each clip stored exactly once")
        let integrity = try runCommand(["/usr/bin/sqlite3", db, "PRAGMA integrity_check;"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(integrity, "ok")
        let errors = recorder.json(on: "emotiond/errors").filter { ($0["device"] as? String) == "stop" }
        XCTAssertEqual(errors.count, 0, "no clip refused or dropped: \(errors.prefix(3))")
        let events = recorder.json(on: "emotiond/stop/emotion").count
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: scratch.path("spool-a"))) ?? []).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(left, [], "spool empty after the final SIGTERM")
        print("RELIABILITY stop-during-flood (signal \(signal)): \(count) clips, \(atStop) done at the signal, \(before) when it exited, stop took \(String(format: "%.2f", stopSeconds)) s; after restart \(done().count) distinct, \(events) events (\(events - count) republished), \(stored) stored, integrity \(integrity)")
    }
}
