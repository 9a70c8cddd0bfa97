import Foundation
import XCTest
@testable import Broker

/// The v5 -> 3.1.1 fallback against a scripted peer that behaves like a 3.1.1-only broker:
/// it refuses a v5 CONNECT with the v3 CONNACK "unacceptable protocol version" and accepts a
/// 3.1.1 CONNECT. (mosquitto itself always speaks v5, so it cannot play this part.)
final class MQTTProtocolFallbackTests: XCTestCase {
    func testFallsBackToV311WhenTheBrokerRefusesV5() async throws {
        let server = try ScriptedV311Broker()
        let client = try MQTTClient(configuration: .init(host: "127.0.0.1", port: server.port, clientID: "fallback", connectTimeout: 5))
        let events = StreamRecorder(client.events)
        do { try await client.connect() } catch { XCTFail("\(error); server saw \(server.protocolLevels)"); return }
        XCTAssertEqual(server.protocolLevels, [5, 4], "first a v5 CONNECT, then a 3.1.1 one")
        let connected = await events.wait { $0.contains(.connected(sessionPresent: false)) }
        XCTAssertTrue(connected)
        client.disconnect()
    }

    func testNoFallbackWhenDisabled() async throws {
        let server = try ScriptedV311Broker()
        var c = MQTTConfiguration(host: "127.0.0.1", port: server.port, clientID: "strict", connectTimeout: 5)
        c.allowV311Fallback = false
        let client = try MQTTClient(configuration: c)
        do {
            try await client.connect()
            XCTFail("connect should fail")
        } catch let error as BrokerError {
            XCTAssertEqual(error.code, .connackRefused, "\(error)")
        }
        XCTAssertEqual(server.protocolLevels, [5])
    }
}

/// Accepts connections on a loopback port; answers each CONNECT with CONNACK 0 for protocol
/// level 4 and CONNACK 1 (unacceptable protocol version, then close) for anything else.
final class ScriptedV311Broker: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var levels: [Int] = []
    private var clients: [Int32] = []

    var protocolLevels: [Int] {
        lock.lock(); defer { lock.unlock() }
        return levels
    }

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, len) == 0 && listen(listener, 4) == 0 && getsockname(listener, $0, &len) == 0
            }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        guard ok else { throw NSError(domain: "ScriptedV311Broker", code: Int(errno)) }
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        lock.lock()
        clients.forEach { close($0) }
        lock.unlock()
    }

    private func serve() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 { return }
            var buffer = [UInt8](repeating: 0, count: 1024)
            let n = recv(fd, &buffer, buffer.count, 0)
            // Fixed header (0x10), remaining length (1 byte for these small packets),
            // protocol name "MQTT" (2 + 4 bytes), then the protocol level.
            guard n >= 9, buffer[0] == 0x10 else { close(fd); continue }
            let level = Int(buffer[8])
            lock.lock()
            levels.append(level)
            lock.unlock()
            if level == 4 {
                _ = send(fd, [UInt8]([0x20, 0x02, 0x00, 0x00]), 4, 0)
                lock.lock(); clients.append(fd); lock.unlock()  // keep the session open
            } else {
                _ = send(fd, [UInt8]([0x20, 0x02, 0x00, 0x01]), 4, 0)
                usleep(50_000)
                close(fd)
            }
        }
    }
}
