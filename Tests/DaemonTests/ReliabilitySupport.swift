import Broker
import Foundation
import TestSupport
import XCTest

/// Shared pieces of the Reliability* tests (issue 6): a daemon configuration written for one
/// test, the daemon's resident memory, a publisher and a recorder that accept any
/// ``MQTTConfiguration`` (TLS, passwords), on top of the helpers in ServeTestSupport.swift.
enum Reliability {
    /// A configuration for one daemon: fast reconnects, short stats interval, its own store and
    /// spool under `scratch` (named by `tag` so two daemons can share one scratch directory).
    static func writeConfig(in scratch: ScratchDirectory, tag: String = "a", port: Int, audioModel: String,
                            clientID: String, workers: Int = 2, extra: String = "") throws -> String {
        let text = """
        mqtt:
          host: 127.0.0.1
          port: \(port)
          client_id: \(clientID)
          keepalive_s: 5
          reconnect:
            initial_s: 0.1
            max_s: 0.5
        workers:
          count: \(workers)
        pairing:
          window_s: 1
        store:
          path: \(scratch.path("stats-\(tag).sqlite"))
          flush_interval_s: 0.2
        spool:
          dir: \(scratch.path("spool-\(tag)"))
        models:
          audio: \(audioModel)
          facial: \(Checkout.facialModel)
        outputs:
          stats_interval_s: 1
        drain_timeout_s: 10
        \(extra)
        """
        let path = scratch.path("emotiond-\(tag).yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// VmRSS of `pid` in bytes from /proc/<pid>/status; nil when the process is gone.
    static func residentBytes(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        let kb = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        return kb.map { $0 * 1024 }
    }

    /// True while `pid` has not exited (a zombie counts as exited).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// A connected QoS 1 publisher.
    static func publisher(port: Int, clientID: String = "rel-pub-\(UUID().uuidString.prefix(6))") async throws -> MQTTClient {
        let client = try MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: port, clientID: clientID, cleanSession: true))
        try await client.connect()
        return client
    }

    /// A small, loud (not silent) audio clip made once by the ffmpeg CLI: `seconds` of a tone
    /// with noise, 16 kHz mono WAV.
    static func toneClip(in scratch: ScratchDirectory, seconds: Double = 0.5) throws -> Data {
        let out = scratch.path("tone-\(seconds).wav")
        if let data = FileManager.default.contents(atPath: out) { return data }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg CLI missing") }
        let r = try runCommand(["/usr/bin/ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                                "sine=frequency=220:duration=\(seconds):sample_rate=16000", "-f", "lavfi", "-i",
                                "anoisesrc=d=\(seconds):c=pink:r=16000:a=0.2", "-filter_complex", "amix=inputs=2",
                                "-ac", "1", "-ar", "16000", out])
        guard r.status == 0 else { throw NSError(domain: "ffmpeg", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.err]) }
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }

    /// GET `path` from 127.0.0.1:`port` over a plain TCP socket (the daemon's Prometheus
    /// endpoint); the whole response, headers included.
    static func httpGet(port: Int, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of one Prometheus sample line such as `emotiond_errors_total{code="too_long"}`.
    static func metric(_ name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: Checkout.root.appendingPathComponent("Tests/MediaTests/Fixtures/\(name)"))
    }

    static func requireMosquitto() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/mosquitto") else { throw XCTSkip("mosquitto is not installed") }
    }
}

/// Like ``TopicRecorder`` but for any client configuration (TLS, user name and password).
final class ConfiguredRecorder: @unchecked Sendable {
    let client: MQTTClient
    private let lock = NSLock()
    private var received: [IncomingMessage] = []
    private var consumer: Task<Void, Never>?

    init(configuration: MQTTConfiguration, filters: [String]) async throws {
        client = try MQTTClient(configuration: configuration)
        for f in filters { try client.subscribe(f, qos: 1) }
        try await client.connect()
        let client = self.client
        consumer = Task { [weak self] in
            for await message in client.messages { self?.append(message) }
        }
    }

    private func append(_ m: IncomingMessage) { lock.withLock { received.append(m) } }

    var messages: [IncomingMessage] { lock.withLock { received } }

    func wait(_ what: String, timeout: TimeInterval, file: StaticString = #filePath, line: UInt = #line,
              until condition: ([IncomingMessage]) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(messages) { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("timed out after \(timeout) s waiting for \(what); received: \(messages.map(\.topic))", file: file, line: line)
        throw CancellationError()
    }

    func stop() {
        consumer?.cancel()
        client.disconnect()
    }
}

/// Base of the reliability tests that run one daemon against one mosquitto: a scratch
/// directory per test, and the broker (set by the test) killed afterwards.
class ReliabilityTestCase: XCTestCase {
    var scratch: ScratchDirectory!
    var broker: MosquittoBroker?

    override func setUp() async throws {
        try Reliability.requireMosquitto()
        scratch = try ScratchDirectory()
    }

    override func tearDown() async throws {
        broker?.kill()
        broker = nil
        scratch = nil
    }
}
