import Foundation
import TestSupport
import XCTest
@testable import Broker

/// Authentication, ACLs and TLS against a real mosquitto, with a password file made by
/// `mosquitto_passwd` and certificates made by the `openssl` CLI in the test's directory.
final class MQTTSecurityTests: XCTestCase {
    private var broker: MosquittoBroker?

    override func tearDown() {
        broker?.stop()
        broker = nil
    }

    private func startAuthBroker() throws -> MosquittoBroker {
        let b = try MosquittoBroker(extraConfig: [], allowAnonymous: false)
        try b.shell("mosquitto_passwd -b -c passwd alice correct-horse && chmod 600 passwd")
        try "user alice\ntopic readwrite allowed/#\n".write(toFile: b.path("acl"), atomically: true, encoding: .utf8)
        b.extraConfig += ["password_file \(b.path("passwd"))", "acl_file \(b.path("acl"))"]
        try b.start()
        broker = b
        return b
    }

    func testWrongPasswordFailsWithAuthenticationError() async throws {
        let b = try startAuthBroker()
        let client = try MQTTClient(configuration: .init(host: "127.0.0.1", port: b.port, clientID: "intruder", username: "alice", password: "wrong"))
        do {
            try await client.connect()
            XCTFail("connect should fail")
        } catch let error as BrokerError {
            XCTAssertEqual(error.code, .authenticationFailed)
            // mosquitto 2.0 answers 0x87 "not authorized"; other brokers 0x86 "bad user name or password".
            XCTAssertTrue([0x86, 0x87].contains(error.rawValue), "\(error)")
            XCTAssertFalse(error.message.contains("wrong"), "password must not appear in errors")
        }
    }

    func testRightPasswordConnectsAndACLDeniedPublishIsCounted() async throws {
        let b = try startAuthBroker()
        let client = try MQTTClient(configuration: .init(host: "127.0.0.1", port: b.port, clientID: "alice-1", username: "alice", password: "correct-horse"))
        let events = StreamRecorder(client.events)
        try await client.connect()
        try client.publish(topic: "allowed/x", payload: [1], qos: 1)
        let denied = try client.publish(topic: "forbidden/x", payload: [2], qos: 1)
        let failed = await events.wait { $0.contains(.publishFailed(messageID: denied, topic: "forbidden/x", reasonCode: 0x87)) }
        XCTAssertTrue(failed, "events: \(events.all)")
        XCTAssertEqual(client.statistics.publishFailures, 1)
        XCTAssertEqual(client.statistics.outstandingPublishes, 0)
        client.disconnect()
    }

    // MARK: TLS

    /// CA, server certificate for IP 127.0.0.1 and a client certificate, plus a second,
    /// unrelated CA. EC P-256 keys keep generation fast.
    private func makeCertificates(in b: MosquittoBroker) throws {
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        try b.shell("""
            set -e
            openssl req -x509 \(ec) -keyout ca.key -out ca.crt -days 2 -subj /CN=emotiond-test-ca 2>/dev/null
            openssl req -x509 \(ec) -keyout other-ca.key -out other-ca.crt -days 2 -subj /CN=unrelated-ca 2>/dev/null
            openssl req \(ec) -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext 2>/dev/null
            openssl req \(ec) -keyout client.key -out client.csr -subj /CN=emotiond-client 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 2>/dev/null
            """)
    }

    private func startTLSBroker() throws -> MosquittoBroker {
        let b = try MosquittoBroker()
        try makeCertificates(in: b)
        b.extraConfig += [
            "cafile \(b.path("ca.crt"))", "certfile \(b.path("server.crt"))",
            "keyfile \(b.path("server.key"))", "require_certificate true",
        ]
        try b.start()
        broker = b
        return b
    }

    func testTLSWithClientCertificateConnectsAndExchangesMessages() async throws {
        let b = try startTLSBroker()
        let tls = MQTTConfiguration.TLS(caFile: b.path("ca.crt"), certFile: b.path("client.crt"), keyFile: b.path("client.key"))
        let client = try MQTTClient(configuration: .init(host: "127.0.0.1", port: b.port, clientID: "tls-ok", tls: tls))
        let received = StreamRecorder(client.messages)
        try client.subscribe("secure/#", qos: 1)
        try await client.connect()
        try await Task.sleep(nanoseconds: 100_000_000)
        try client.publish(topic: "secure/1", payload: Array("sealed".utf8), qos: 1)
        let got = await received.wait { $0.count == 1 }
        XCTAssertTrue(got)
        XCTAssertEqual(received.all.first?.payload, Array("sealed".utf8))
        client.disconnect()
    }

    func testTLSWithWrongCAFailsWithTLSError() async throws {
        let b = try startTLSBroker()
        let tls = MQTTConfiguration.TLS(caFile: b.path("other-ca.crt"), certFile: b.path("client.crt"), keyFile: b.path("client.key"))
        let client = try MQTTClient(configuration: .init(host: "127.0.0.1", port: b.port, clientID: "tls-wrong-ca", tls: tls, connectTimeout: 5))
        do {
            try await client.connect()
            XCTFail("connect should fail")
        } catch let error as BrokerError {
            XCTAssertEqual(error.code, .tls, "\(error)")
        }
    }

    func testTLSWithoutClientCertificateIsRefusedWhenTheBrokerRequiresOne() async throws {
        let b = try startTLSBroker()
        let tls = MQTTConfiguration.TLS(caFile: b.path("ca.crt"))
        let client = try MQTTClient(configuration: .init(host: "127.0.0.1", port: b.port, clientID: "tls-no-cert", tls: tls, connectTimeout: 5))
        do {
            try await client.connect()
            XCTFail("connect should fail")
        } catch let error as BrokerError {
            XCTAssertTrue([.tls, .connectionLost].contains(error.code), "\(error)")
        }
    }

    func testUnreadableTLSFileIsRejectedBeforeConnecting() {
        let tls = MQTTConfiguration.TLS(caFile: "/nonexistent/ca.crt")
        XCTAssertThrowsError(try MQTTClient(configuration: .init(tls: tls))) { error in
            XCTAssertEqual((error as? BrokerError)?.code, .tls)
            XCTAssertTrue((error as? BrokerError)?.message.contains("/nonexistent/ca.crt") == true)
        }
    }
}
