import Broker
import Foundation
import Store
import TestSupport
import XCTest

/// Issue 6, broker restart with clips still inside the broker: the daemon is offline, its
/// persistent session (clean session off, the default) collects clips in mosquitto, the broker
/// is SIGKILLed and restarted from its persistence file, and the daemon, back online, processes
/// every queued clip exactly once.
final class ReliabilityPersistentSessionTests: ReliabilityTestCase {
    func testClipsQueuedInTheBrokerSurviveABrokerKillAndAreProcessedOnce() async throws {
        let model = try Checkout.audioModel()
        let broker = try MosquittoBroker(extraConfig: ["autosave_interval 1"])
        broker.persistent = true
        try broker.start()
        self.broker = broker
        let config = try Reliability.writeConfig(in: scratch, port: broker.port, audioModel: model,
                                                 clientID: "rel-persist-\(UUID().uuidString.prefix(6))")
        var recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available", "emotiond/+/emotion"])

        // 1. The daemon connects once, so the broker holds its session and subscription, then stops.
        let first = try DaemonProcess(configFile: config, logFile: scratch.path("daemon-1.log"))
        try await recorder.wait("online", timeout: 20) { ms in ms.contains { $0.payload == Array("online".utf8) } }
        first.signal(SIGTERM)
        XCTAssertEqual(first.waitForExit(timeout: 15), 0, first.log)

        // 2. Clips arrive while it is away: mosquitto queues them for the session.
        let clip = [UInt8](try Reliability.toneClip(in: scratch, seconds: 0.5))
        let publisher = try await Reliability.publisher(port: broker.port)
        let ids = (1...10).map { "q-\($0)" }
        for id in ids {
            try publisher.publish(topic: "emotiond/in/queued/clip", payload: clip, qos: 1,
                                  properties: PublishProperties(userProperties: ["clip-id": id]))
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        XCTAssertEqual(publisher.statistics.outstandingPublishes, 0, "the broker acknowledged every clip")
        publisher.disconnect()
        recorder.stop()

        // 3. The broker crashes after its next autosave and comes back from the file.
        try await Task.sleep(nanoseconds: 2_500_000_000)
        broker.kill()
        try broker.start()

        // 4. The daemon returns and gets the queued clips from its session.
        recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/+/emotion"])
        defer { recorder.stop() }
        let second = try DaemonProcess(configFile: config, logFile: scratch.path("daemon-2.log"))
        try await recorder.wait("an event for every queued clip", timeout: 30) { _ in
            Set(recorder.clipIDs(on: "emotiond/queued/emotion")).isSuperset(of: ids)
        }
        try await Task.sleep(nanoseconds: 1_000_000_000)
        second.signal(SIGTERM)
        XCTAssertEqual(second.waitForExit(timeout: 15), 0, second.log)

        let events = recorder.clipIDs(on: "emotiond/queued/emotion")
        XCTAssertEqual(events.sorted(), ids.sorted(), "each queued clip exactly one event")
        let rows = try StatsQuery(files: [scratch.path("stats-a.sqlite")], bucket: .minute).run()
        let stored = rows.filter { $0.device == "queued" }.reduce(0) { $0 + $1.clips }
        XCTAssertEqual(stored, ids.count, "each queued clip stored once")
        print("RELIABILITY persistent-session: \(ids.count) clips queued in the broker, broker SIGKILLed and restarted from its persistence file; events \(events.count), distinct \(Set(events).count), stored \(stored)")
    }
}
