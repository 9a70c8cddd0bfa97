import Foundation
import TestSupport
import XCTest
@testable import Broker

/// Behaviour of `MQTTClient` against a real mosquitto 2.0 broker on a loopback port.
final class MQTTClientTests: XCTestCase {
    private var broker: MosquittoBroker!

    override func setUpWithError() throws {
        broker = try MosquittoBroker()
        try broker.start()
    }

    override func tearDown() {
        broker?.stop()
        broker = nil
    }

    private func config(_ id: String, clean: Bool = true) -> MQTTConfiguration {
        MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: id, keepalive: 5, cleanSession: clean, connectTimeout: 5)
    }

    func testRoundTripCarriesUserPropertiesAndCorrelationData() async throws {
        let receiver = try MQTTClient(configuration: config("rx"))
        let received = StreamRecorder(receiver.messages)
        try receiver.subscribe("emotiond/in/+/clip", qos: 1)
        try await receiver.connect()
        let sender = try MQTTClient(configuration: config("tx"))
        try await sender.connect()
        // Wait until the receiver's SUBACK has had time to land: publish after a connected event.
        try await Task.sleep(nanoseconds: 100_000_000)

        let payload: [UInt8] = (0..<5000).map { UInt8($0 % 251) }
        let props = PublishProperties(userProperties: ["clip-id": "abc-123", "captured-at": "2026-11-26T14:00:00Z"],
                                      correlationData: [0xde, 0xad, 0xbe, 0xef], contentType: "video/mp4")
        let mid = try sender.publish(topic: "emotiond/in/cam1/clip", payload: payload, qos: 1, properties: props)
        XCTAssertGreaterThan(mid, 0)

        let arrived = await received.wait { $0.count == 1 }
        XCTAssertTrue(arrived, "message did not arrive")
        let m = try XCTUnwrap(received.all.first)
        XCTAssertEqual(m.topic, "emotiond/in/cam1/clip")
        XCTAssertEqual(m.payload, payload)
        XCTAssertEqual(m.qos, 1)
        XCTAssertFalse(m.retain)
        XCTAssertEqual(m.userProperties, ["clip-id": "abc-123", "captured-at": "2026-11-26T14:00:00Z"])
        XCTAssertEqual(m.correlationData, [0xde, 0xad, 0xbe, 0xef])
        XCTAssertEqual(m.contentType, "video/mp4")
        // The PUBACK came back: nothing outstanding.
        let sent = await StreamRecorder<Int>.poll { sender.statistics.outstandingPublishes == 0 }
        XCTAssertTrue(sent)
        XCTAssertEqual(receiver.statistics.messagesReceived, 1)
        sender.disconnect()
        receiver.disconnect()
    }

    func testSharedSubscriptionSplitsMessagesBetweenInstances() async throws {
        let a = try MQTTClient(configuration: config("instance-a"))
        let b = try MQTTClient(configuration: config("instance-b"))
        let gotA = StreamRecorder(a.messages), gotB = StreamRecorder(b.messages)
        for client in [a, b] {
            try client.subscribe("$share/emotiond/emotiond/in/+/clip", qos: 1)
            try await client.connect()
        }
        let sender = try MQTTClient(configuration: config("cams"))
        try await sender.connect()
        try await Task.sleep(nanoseconds: 100_000_000)
        for i in 0..<20 { try sender.publish(topic: "emotiond/in/cam\(i % 3)/clip", payload: [UInt8(i)], qos: 1) }
        let all = await gotA.wait { _ in gotA.all.count + gotB.all.count == 20 }
        XCTAssertTrue(all, "a \(gotA.all.count) + b \(gotB.all.count)")
        XCTAssertGreaterThan(gotA.all.count, 0)
        XCTAssertGreaterThan(gotB.all.count, 0)
        XCTAssertEqual(Set((gotA.all + gotB.all).map { $0.payload[0] }).count, 20, "each message delivered once")
        XCTAssertTrue((gotA.all + gotB.all).allSatisfy { $0.topic.hasPrefix("emotiond/in/cam") }, "the real topic, not the share filter")
        for client in [a, b, sender] { client.disconnect() }
    }

    func testV311ClientStillExchangesMessagesWithoutProperties() async throws {
        var c = config("v3")
        c.protocolVersion = .v311
        let client = try MQTTClient(configuration: c)
        let received = StreamRecorder(client.messages)
        try client.subscribe("v3/#", qos: 1)
        try await client.connect()
        try await Task.sleep(nanoseconds: 100_000_000)
        try client.publish(topic: "v3/x", payload: Array("hi".utf8), qos: 1, properties: PublishProperties(userProperties: ["a": "b"]))
        let arrived = await received.wait { $0.count == 1 }
        XCTAssertTrue(arrived)
        XCTAssertEqual(received.all.first?.payload, Array("hi".utf8))
        XCTAssertEqual(received.all.first?.userProperties, [:])
        client.disconnect()
    }

    func testConnectionRefusedIsAClearError() async throws {
        let port = try MosquittoBroker.freePort()
        let client = try MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: port, clientID: "nobody"))
        do {
            try await client.connect()
            XCTFail("connect should fail")
        } catch let error as BrokerError {
            XCTAssertEqual(error.code, .connectionRefused)
            XCTAssertTrue(error.message.contains("127.0.0.1:\(port)"), error.message)
        }
    }

    func testWillIsPublishedWhenTheConnectionDiesWithoutDisconnect() async throws {
        let watcher = try MQTTClient(configuration: config("watcher"))
        let seen = StreamRecorder(watcher.messages)
        try watcher.subscribe("emotiond/available", qos: 1)
        try await watcher.connect()

        var c = config("daemon")
        c.will = .init(topic: "emotiond/available", payload: Array("offline".utf8), qos: 1, retain: true)
        let daemon = try MQTTClient(configuration: c)
        try await daemon.connect()
        try daemon.publish(topic: "emotiond/available", payload: Array("online".utf8), qos: 1, retain: true)
        let online = await seen.wait { $0.last.map { String(decoding: $0.payload, as: UTF8.self) } == "online" }
        XCTAssertTrue(online)

        daemon.dropConnectionWithoutDisconnect()
        let offline = await seen.wait { $0.last.map { String(decoding: $0.payload, as: UTF8.self) } == "offline" }
        XCTAssertTrue(offline, "will not published; saw \(seen.all.map { String(decoding: $0.payload, as: UTF8.self) })")
        daemon.disconnect()
        watcher.disconnect()
    }

    func testCleanDisconnectSuppressesWillAndDisconnectWithWillSendsIt() async throws {
        let watcher = try MQTTClient(configuration: config("watcher2"))
        let seen = StreamRecorder(watcher.messages)
        try watcher.subscribe("will/#", qos: 1)
        try await watcher.connect()

        var quiet = config("quiet")
        quiet.will = .init(topic: "will/quiet", payload: Array("gone".utf8), qos: 1, retain: false)
        let q = try MQTTClient(configuration: quiet)
        try await q.connect()
        q.disconnect()

        var loud = config("loud")
        loud.will = .init(topic: "will/loud", payload: Array("gone".utf8), qos: 1, retain: false)
        let l = try MQTTClient(configuration: loud)
        try await l.connect()
        l.disconnect(sendWill: true)

        let got = await seen.wait { $0.contains { $0.topic == "will/loud" } }
        XCTAssertTrue(got)
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertFalse(seen.all.contains { $0.topic == "will/quiet" }, "clean disconnect must not publish the will")
        watcher.disconnect()
    }

    func testPersistentSessionDeliversQoS1MessagesSentWhileOffline() async throws {
        let first = try MQTTClient(configuration: config("persistent-sub", clean: false))
        try first.subscribe("jobs/#", qos: 1)
        try await first.connect()
        try await Task.sleep(nanoseconds: 100_000_000)
        first.disconnect()

        let sender = try MQTTClient(configuration: config("persistent-pub"))
        try await sender.connect()
        for i in 0..<3 { try sender.publish(topic: "jobs/\(i)", payload: [UInt8(i)], qos: 1) }
        let acked = await StreamRecorder<Int>.poll { sender.statistics.outstandingPublishes == 0 }
        XCTAssertTrue(acked)

        // A new client with the same id and no subscribe call: the broker kept the session.
        let second = try MQTTClient(configuration: config("persistent-sub", clean: false))
        let received = StreamRecorder(second.messages)
        let events = StreamRecorder(second.events)
        try await second.connect()
        let all = await received.wait { $0.count == 3 }
        XCTAssertTrue(all, "got \(received.all.map(\.topic))")
        XCTAssertEqual(received.all.map(\.topic), ["jobs/0", "jobs/1", "jobs/2"])
        XCTAssertEqual(events.all.first, .connected(sessionPresent: true))
        sender.disconnect()
        second.disconnect()
    }

    func testReconnectsWithinThreeSecondsOfTheBrokersReturnAndResubscribes() async throws {
        let client = try MQTTClient(configuration: config("survivor", clean: false))
        let events = StreamRecorder(client.events)
        let received = StreamRecorder(client.messages)
        try client.subscribe("alive/#", qos: 1)
        try await client.connect()

        broker.kill()
        let lost = await events.wait { $0.contains { if case .disconnected = $0 { return true } else { return false } } }
        XCTAssertTrue(lost)
        XCTAssertFalse(client.isConnected)
        try await Task.sleep(nanoseconds: 1_500_000_000)  // backoff reaches its cap meanwhile

        let restartedAt = Date()
        try broker.start()
        let back = await events.wait(timeout: 6) { $0.filter { if case .connected = $0 { return true } else { return false } }.count == 2 }
        let elapsed = Date().timeIntervalSince(restartedAt)
        XCTAssertTrue(back, "no reconnect; events \(events.all)")
        XCTAssertLessThan(elapsed, 3, "reconnect took \(elapsed) s after the broker returned")
        print("time to reconnect after the broker's return: \(String(format: "%.2f", elapsed)) s")
        XCTAssertEqual(client.statistics.reconnects, 1)
        XCTAssertTrue(events.all.contains { if case .reconnecting = $0 { return true } else { return false } })
        XCTAssertTrue(events.all.contains { if case .connectFailed(let e) = $0 { return e.code == .connectionRefused } else { return false } },
                      "attempts while the broker was down fail with connection refused")
        // The broker has no persistence: the session is gone and the client re-subscribed.
        XCTAssertTrue(events.all.contains(.connected(sessionPresent: false)))
        let sender = try MQTTClient(configuration: config("poker"))
        try await sender.connect()
        try await Task.sleep(nanoseconds: 100_000_000)
        try sender.publish(topic: "alive/1", payload: [1], qos: 1)
        let resubscribed = await received.wait { $0.count == 1 }
        XCTAssertTrue(resubscribed)
        sender.disconnect()
        client.disconnect()
    }

    func testQoS1MessagesPublishedWhileOfflineAreQueuedBoundedAndSentOnReconnect() async throws {
        broker.stop()
        broker.persistent = true
        try broker.start()
        let subscriber = try MQTTClient(configuration: config("queue-sub", clean: false))
        let received = StreamRecorder(subscriber.messages)
        try subscriber.subscribe("q/#", qos: 1)
        try await subscriber.connect()

        var c = config("queue-pub")
        c.maxQueuedMessages = 2
        let client = try MQTTClient(configuration: c)
        let events = StreamRecorder(client.events)
        try await client.connect()
        try await Task.sleep(nanoseconds: 100_000_000)
        broker.stop()  // SIGTERM: the broker saves the subscriber's session
        _ = await events.wait { $0.contains { if case .disconnected = $0 { return true } else { return false } } }

        try client.publish(topic: "q/1", payload: [1], qos: 1)
        try client.publish(topic: "q/2", payload: [2], qos: 1)
        XCTAssertThrowsError(try client.publish(topic: "q/3", payload: [3], qos: 1)) { error in
            XCTAssertEqual((error as? BrokerError)?.code, .queueFull)
        }
        XCTAssertThrowsError(try client.publish(topic: "q/0", payload: [0], qos: 0)) { error in
            XCTAssertEqual((error as? BrokerError)?.code, .notConnected)
        }
        XCTAssertEqual(client.statistics.outstandingPublishes, 2)

        try broker.start()
        let delivered = await received.wait(timeout: 8) { $0.count == 2 }
        XCTAssertTrue(delivered, "got \(received.all.map(\.topic))")
        XCTAssertEqual(Set(received.all.map(\.topic)), ["q/1", "q/2"])
        let drained = await StreamRecorder<Int>.poll { client.statistics.outstandingPublishes == 0 }
        XCTAssertTrue(drained)
        client.disconnect()
        subscriber.disconnect()
    }

    func testBadArgumentsAreTypedErrors() async throws {
        let client = try MQTTClient(configuration: config("args"))
        XCTAssertThrowsError(try client.subscribe("a/#/b", qos: 1)) { XCTAssertEqual(($0 as? BrokerError)?.code, .invalidArgument) }
        XCTAssertThrowsError(try client.subscribe("a/b", qos: 3)) { XCTAssertEqual(($0 as? BrokerError)?.code, .invalidArgument) }
        try await client.connect()
        XCTAssertThrowsError(try client.publish(topic: "a/+", payload: [], qos: 1)) { XCTAssertEqual(($0 as? BrokerError)?.code, .invalidArgument) }
        XCTAssertThrowsError(try client.publish(topic: "a", payload: [], qos: 7)) { XCTAssertEqual(($0 as? BrokerError)?.code, .invalidArgument) }
        XCTAssertEqual(client.statistics.outstandingPublishes, 0)
        client.disconnect()
        XCTAssertThrowsError(try client.publish(topic: "a", payload: [], qos: 1)) { XCTAssertEqual(($0 as? BrokerError)?.code, .notConnected) }
    }

    func testConnectTwiceAndDisconnectDuringConnectAreErrorsNotHangs() async throws {
        let client = try MQTTClient(configuration: config("twice"))
        try await client.connect()
        do {
            try await client.connect()
            XCTFail("second connect should fail")
        } catch let error as BrokerError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
        client.disconnect()

        // A host that accepts TCP but never answers CONNECT: disconnect() must end connect().
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, len) + listen(silent, 4) + getsockname(silent, $0, &len) } }
        var c = config("silent")
        c.port = Int(UInt16(bigEndian: addr.sin_port))
        c.connectTimeout = 20
        let stuck = try MQTTClient(configuration: c)
        let started = Date()
        async let attempt: Void = stuck.connect()
        try await Task.sleep(nanoseconds: 300_000_000)
        stuck.disconnect()
        do {
            try await attempt
            XCTFail("connect should not succeed")
        } catch let error as BrokerError {
            XCTAssertEqual(error.code, .notConnected, "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testConnectTimesOutWhenTheBrokerNeverAnswers() async throws {
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, len) + listen(silent, 4) + getsockname(silent, $0, &len) } }
        var c = config("timeout")
        c.port = Int(UInt16(bigEndian: addr.sin_port))
        c.connectTimeout = 0.5
        let client = try MQTTClient(configuration: c)
        do {
            try await client.connect()
            XCTFail("connect should time out")
        } catch let error as BrokerError {
            XCTAssertEqual(error.code, .timeout, "\(error)")
        }
    }

    func testDescriptionRedactsPassword() {
        let c = MQTTConfiguration(username: "alice", password: "s3cret-pw")
        XCTAssertFalse(c.description.contains("s3cret-pw"))
        XCTAssertTrue(c.description.contains("password=<redacted>"))
        XCTAssertTrue(c.description.contains("alice"))
    }

    func testBackoffDoublesUpToTheCapAndJitterOnlyShortens() {
        let b = MQTTConfiguration.Backoff(initial: 0.5, maximum: 2, jitter: 0.2)
        XCTAssertEqual(b.delay(attempt: 0, random: 0), 0.5)
        XCTAssertEqual(b.delay(attempt: 1, random: 0), 1)
        XCTAssertEqual(b.delay(attempt: 2, random: 0), 2)
        XCTAssertEqual(b.delay(attempt: 50, random: 0), 2)
        XCTAssertEqual(b.delay(attempt: 50, random: 1), 1.6, accuracy: 1e-9)
    }
}

extension StreamRecorder {
    /// Polls an arbitrary condition (statistics) with the same timeout semantics as `wait`.
    static func poll(timeout: TimeInterval = 5, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return condition()
    }
}
