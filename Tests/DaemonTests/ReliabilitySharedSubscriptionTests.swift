import Broker
import Foundation
import TestSupport
import XCTest

/// Issue 6, item 4: two daemons share the input through an MQTT v5 shared subscription
/// (`mqtt.shared_group`) on one mosquitto. Each gets a share, every clip is processed once in
/// total, and `emotiond stats --db A --db B` sums to the number of clips.
final class ReliabilitySharedSubscriptionTests: ReliabilityTestCase {
    func testTwoDaemonsShareTheLoadAndTheirStoresSumToTheTotal() async throws {
        let model = try Checkout.audioModel()
        let broker = try MosquittoBroker()
        try broker.start()
        self.broker = broker
        let suffix = UUID().uuidString.prefix(6)
        var daemons: [DaemonProcess] = []
        for tag in ["a", "b"] {
            let config = try Reliability.writeConfig(in: scratch, tag: tag, port: broker.port, audioModel: model,
                                                     clientID: "rel-share-\(tag)-\(suffix)", workers: 1)
            daemons.append(try DaemonProcess(configFile: config, logFile: scratch.path("daemon-\(tag).log"),
                                             extraArguments: ["--set", "mqtt.shared_group=rel"]))
        }
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/+/emotion", "emotiond/errors"])
        defer { recorder.stop() }
        // Both subscribed: wait for both subscriptions in the broker log.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let log = (try? String(contentsOf: broker.logFile, encoding: .utf8)) ?? ""
            if log.components(separatedBy: "$share/rel/emotiond/in/+/clip").count > 2 { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let brokerLog = (try? String(contentsOf: broker.logFile, encoding: .utf8)) ?? ""
        XCTAssertGreaterThan(brokerLog.components(separatedBy: "$share/rel/emotiond/in/+/clip").count, 2,
                             "both daemons subscribe to the shared filter")

        let clip = [UInt8](try Reliability.toneClip(in: scratch, seconds: 0.5))
        let publisher = try await Reliability.publisher(port: broker.port)
        defer { publisher.disconnect() }
        let total = 20
        for i in 1...total {
            try publisher.publish(topic: "emotiond/in/shared/clip", payload: clip, qos: 1,
                                  properties: PublishProperties(userProperties: ["clip-id": "sh-\(i)"]))
        }
        try await recorder.wait("an event for every clip", timeout: 40) { _ in
            Set(recorder.clipIDs(on: "emotiond/shared/emotion")).count == total
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        XCTAssertEqual(recorder.messages(on: "emotiond/shared/emotion").count, total, "each clip processed once in total")
        for d in daemons { d.signal(SIGTERM) }
        for d in daemons { XCTAssertEqual(d.waitForExit(timeout: 15), 0, d.log) }

        func clips(_ files: [String]) throws -> Int {
            let r = try runCommand([Checkout.binary.path, "stats"] + files.flatMap { ["--db", $0] } + ["--since", "24h", "--bucket", "1d", "--format", "json"])
            XCTAssertEqual(r.status, 0, r.err)
            let parsed = try JSONSerialization.jsonObject(with: Data(r.out.utf8))
            let rows = (parsed as? [[String: Any]]) ?? ((parsed as? [String: Any])?["rows"] as? [[String: Any]]) ?? []
            return rows.filter { $0["device"] as? String == "shared" }.reduce(0) { $0 + ($1["clips"] as? Int ?? 0) }
        }
        let a = try clips([scratch.path("stats-a.sqlite")]), b = try clips([scratch.path("stats-b.sqlite")])
        let both = try clips([scratch.path("stats-a.sqlite"), scratch.path("stats-b.sqlite")])
        XCTAssertGreaterThan(a, 0, "daemon A got no share")
        XCTAssertGreaterThan(b, 0, "daemon B got no share")
        XCTAssertEqual(a + b, total)
        XCTAssertEqual(both, total, "stats --db A --db B")
        print("RELIABILITY shared-subscription: A \(a), B \(b), merged \(both) of \(total)")
    }
}
