import Broker
import Foundation
import TestSupport
import XCTest

/// Issue 6, items 5 and 6: `emotiond serve` against a mosquitto with TLS (CA, server and client
/// certificates made by the openssl CLI), a password file and an ACL.
///
/// The broker has two loopback listeners with the same password file (per_listener_settings
/// false): TLS with a required client certificate for the daemon, plain for the test's own
/// recorder and publisher.
final class ReliabilitySecurityTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var broker: MosquittoBroker?
    private let password = "Tr0ub4dor-\(UUID().uuidString.prefix(8))"

    override func setUp() async throws {
        try Reliability.requireMosquitto()
        for tool in ["/usr/bin/openssl", "/usr/bin/mosquitto_passwd"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing")
        }
        scratch = try ScratchDirectory()
    }

    override func tearDown() async throws {
        broker?.kill()
        broker = nil
        scratch = nil
    }

    private func shell(_ script: String, in dir: URL) throws {
        let r = try runCommand(["/bin/sh", "-c", "cd '\(dir.path)' && \(script)"])
        guard r.status == 0 else { throw NSError(domain: "shell", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.err]) }
    }

    /// Starts the broker: `acl` is the ACL file body (nil = no ACL). Returns the TLS port.
    private func startSecureBroker(acl: String?) throws -> (broker: MosquittoBroker, tlsPort: Int) {
        let b = try MosquittoBroker(allowAnonymous: false)
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        try shell("""
            set -e
            openssl req -x509 \(ec) -keyout ca.key -out ca.crt -days 2 -subj /CN=emotiond-rel-ca 2>/dev/null
            openssl req \(ec) -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext 2>/dev/null
            openssl req \(ec) -keyout client.key -out client.csr -subj /CN=emotiond 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 2>/dev/null
            mosquitto_passwd -b -c passwd emotiond '\(password)'
            mosquitto_passwd -b passwd watcher watcher-pw
            chmod 600 passwd
            """, in: b.directory)
        b.extraConfig += ["password_file \(b.path("passwd"))"]
        if let acl {
            try acl.write(toFile: b.path("acl"), atomically: true, encoding: .utf8)
            b.extraConfig += ["acl_file \(b.path("acl"))"]
        }
        let tlsPort = try MosquittoBroker.freePort()
        b.extraConfig += ["listener \(tlsPort) 127.0.0.1", "cafile \(b.path("ca.crt"))", "certfile \(b.path("server.crt"))",
                          "keyfile \(b.path("server.key"))", "require_certificate true"]
        try b.start()
        broker = b
        return (b, tlsPort)
    }

    private func daemonConfig(_ b: MosquittoBroker, tlsPort: Int, model: String) throws -> String {
        try Reliability.writeConfig(in: scratch, port: tlsPort, audioModel: model, clientID: "rel-tls-\(UUID().uuidString.prefix(6))")
    }

    private func tlsArguments(_ b: MosquittoBroker) -> [String] {
        ["--set", "mqtt.username=emotiond", "--set", "mqtt.tls.ca_file=\(b.path("ca.crt"))",
         "--set", "mqtt.tls.cert_file=\(b.path("client.crt"))", "--set", "mqtt.tls.key_file=\(b.path("client.key"))"]
    }

    private func watcher(_ b: MosquittoBroker, filters: [String]) async throws -> ConfiguredRecorder {
        try await ConfiguredRecorder(configuration: MQTTConfiguration(host: "127.0.0.1", port: b.port, clientID: "watcher-\(UUID().uuidString.prefix(6))",
                                                                      cleanSession: true, username: "watcher", password: "watcher-pw"),
                                     filters: filters)
    }

    private func watcherPublisher(_ b: MosquittoBroker) async throws -> MQTTClient {
        let c = try MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: b.port, clientID: "wpub-\(UUID().uuidString.prefix(6))",
                                                                cleanSession: true, username: "watcher", password: "watcher-pw"))
        try await c.connect()
        return c
    }

    func testTLSClientCertificateAndPasswordFromEnvironmentThenWrongPasswordKeepsRetryingWithoutLeakingIt() async throws {
        let model = try Checkout.audioModel()
        let (b, tlsPort) = try startSecureBroker(acl: nil)
        let config = try daemonConfig(b, tlsPort: tlsPort, model: model)
        let recorder = try await watcher(b, filters: ["emotiond/available", "emotiond/+/emotion"])
        defer { recorder.stop() }
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"), extraArguments: tlsArguments(b),
                                       environment: ["EMOTIOND_MQTT_PASSWORD": password])
        try await recorder.wait("online over TLS with password", timeout: 20) { ms in ms.contains { $0.payload == Array("online".utf8) } }
        let publisher = try await watcherPublisher(b)
        defer { publisher.disconnect() }
        try publisher.publish(topic: "emotiond/in/secure/clip", payload: [UInt8](try Reliability.toneClip(in: scratch)), qos: 1)
        try await recorder.wait("an emotion over TLS", timeout: 20) { ms in ms.contains { $0.topic == "emotiond/secure/emotion" } }
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)
        XCTAssertFalse(daemon.log.contains(password), "the password appears in the log")

        // Wrong password: a clear error, retries, no crash, no password in the log.
        let wrong = "Wr0ng-\(UUID().uuidString.prefix(8))"
        let bad = try DaemonProcess(configFile: config, logFile: scratch.path("daemon-wrong.log"), extraArguments: tlsArguments(b),
                                    environment: ["EMOTIOND_MQTT_PASSWORD": wrong])
        try await Task.sleep(nanoseconds: 3_000_000_000)
        XCTAssertTrue(Reliability.isRunning(bad.pid), "wrong password must not stop the daemon; log:\n\(bad.log)")
        let log = bad.log
        let refusals = log.split(separator: "\n").filter { $0.contains("refused our credentials") }
        let attempts = refusals.count
        XCTAssertGreaterThanOrEqual(attempts, 2, "keeps retrying; log:\n\(log)")
        XCTAssertFalse(log.contains("not reachable"), "an authentication failure is not a network problem; log:\n\(log)")
        XCTAssertTrue(log.lowercased().contains("not authorized") || log.lowercased().contains("authentication"),
                      "the cause is named; log:\n\(log)")
        // Credentials are retried at the longest backoff (mqtt.reconnect.max_s), not the shortest.
        for line in refusals {
            let delay = line.components(separatedBy: "retrying in ").last.flatMap { Double($0.split(separator: " ").first ?? "") }
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(delay, String(line)), 0.5, String(line))
        }
        XCTAssertFalse(log.contains(wrong), "the wrong password appears in the log")
        XCTAssertFalse(log.contains("Fatal error"), log)
        bad.signal(SIGTERM)
        XCTAssertEqual(bad.waitForExit(timeout: 5), 0, bad.log)
        let firstError = refusals.first ?? ""
        print("RELIABILITY tls-auth: clip over TLS+password ok; wrong password: \(attempts) attempts in 3 s, e.g. \(firstError)")
    }

    func testACLForbiddingTheEmotionTopicIsReportedAndTheDaemonKeepsWorking() async throws {
        let model = try Checkout.audioModel()
        let acl = """
            user emotiond
            topic read emotiond/in/#
            topic read homeassistant/status
            topic write emotiond/available
            topic write emotiond/errors
            topic write emotiond/stats

            user watcher
            topic readwrite #
            """
        let (b, tlsPort) = try startSecureBroker(acl: acl)
        let config = try daemonConfig(b, tlsPort: tlsPort, model: model)
        let recorder = try await watcher(b, filters: ["emotiond/#"])
        defer { recorder.stop() }
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"), extraArguments: tlsArguments(b),
                                       environment: ["EMOTIOND_MQTT_PASSWORD": password])
        try await recorder.wait("online", timeout: 20) { ms in ms.contains { $0.payload == Array("online".utf8) } }
        let publisher = try await watcherPublisher(b)
        defer { publisher.disconnect() }
        let clip = [UInt8](try Reliability.toneClip(in: scratch))
        try publisher.publish(topic: "emotiond/in/acl/clip", payload: clip, qos: 1)
        try await Task.sleep(nanoseconds: 3_000_000_000)
        XCTAssertTrue(recorder.messages.filter { $0.topic == "emotiond/acl/emotion" }.isEmpty, "the ACL forbids it")
        let log = daemon.log
        XCTAssertTrue(log.contains("broker refused publish"), "the refusal is reported; log:\n\(log)")
        XCTAssertTrue(log.contains("to emotiond/acl/emotion"), "the refused topic is named; log:\n\(log)")
        XCTAssertTrue(Reliability.isRunning(daemon.pid))
        // The allowed outputs still work: a garbage payload's error event gets out.
        try publisher.publish(topic: "emotiond/in/acl/clip", payload: Array("not media".utf8), qos: 1)
        try await recorder.wait("error event on the allowed topic", timeout: 10) { ms in ms.contains { $0.topic == "emotiond/errors" } }
        // ... and they are counted, so monitoring sees them (emotiond/stats, errors_by_code).
        try await recorder.wait("publish refusals counted in stats", timeout: 10) { ms in
            ms.contains { $0.topic == "emotiond/stats" && String(decoding: $0.payload, as: UTF8.self).contains("publish_refused") }
        }
        let stats = recorder.messages.filter { $0.topic == "emotiond/stats" }.last.map { String(decoding: $0.payload, as: UTF8.self) } ?? "none"
        let refusals = log.split(separator: "\n").filter { $0.contains("broker refused publish") }
        print("RELIABILITY acl: \(refusals.count) refusals logged, e.g. \(refusals.first ?? ""); last stats: \(stats)")
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)
    }
}
