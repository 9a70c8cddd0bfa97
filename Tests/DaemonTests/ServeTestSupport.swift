import Broker
import Foundation
import TestSupport
import XCTest

/// Paths of the source checkout the integration tests use (resolved from this file).
enum Checkout {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func sample(_ name: String) -> URL { root.appendingPathComponent("samples/\(name)") }

    /// The built `emotiond` next to the test bundle (`swift test` builds it too).
    static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("emotiond")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return root.appendingPathComponent(".build/debug/emotiond")
    }

    /// The audio model: `$EMOTIOND_TEST_AUDIO_MODEL`, else models/audio-emotion.safetensors.
    /// Tests skip when neither exists (training one in a test would be far too slow).
    static func audioModel() throws -> String {
        if let path = ProcessInfo.processInfo.environment["EMOTIOND_TEST_AUDIO_MODEL"],
           FileManager.default.isReadableFile(atPath: path) { return path }
        let shipped = root.appendingPathComponent("models/audio-emotion.safetensors").path
        guard FileManager.default.isReadableFile(atPath: shipped) else {
            throw XCTSkip("models/audio-emotion.safetensors is missing (set EMOTIOND_TEST_AUDIO_MODEL to use another model)")
        }
        return shipped
    }

    static var facialModel: String { root.appendingPathComponent("models/fer_mini_xception.f32.safetensors").path }
}

/// A scratch directory removed when the test ends.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// `emotiond serve` as a child process with its stderr in a log file.
final class DaemonProcess {
    let pid: pid_t
    let logFile: String
    private var reaped = false
    private(set) var exitStatus: Int32?

    init(configFile: String, logFile: String, extraArguments: [String] = [], environment: [String: String] = [:]) throws {
        self.logFile = logFile
        pid = try spawnWithDefaultSignals(
            [Checkout.binary.path, "serve", "--config", configFile] + extraArguments, stdout: logFile, stderr: logFile,
            environment: environment)
    }

    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { if !reaped { kill(pid, number) } }

    /// Waits for the exit; returns the exit status (128 + signal for a signal), nil on timeout.
    @discardableResult
    func waitForExit(timeout: TimeInterval) -> Int32? {
        if reaped { return exitStatus }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                let signalled = status & 0x7f
                exitStatus = signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
                return exitStatus
            }
            usleep(20_000)
        }
        return nil
    }

    deinit {
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

/// Runs a command to completion; returns (status, stdout, stderr).
@discardableResult
func runCommand(_ argv: [String]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    // stderr goes to a file so a chatty child cannot block on a second full pipe.
    let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-cmd-\(UUID().uuidString).err")
    FileManager.default.createFile(atPath: errFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errFile) }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = try FileHandle(forWritingTo: errFile)
    try p.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let errData = (try? Data(contentsOf: errFile)) ?? Data()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Subscribes to filters with a real MQTT client and keeps every message, so tests can wait
/// for what they expect with a deadline and a message that says what was missing.
final class TopicRecorder: @unchecked Sendable {
    let client: MQTTClient
    private let lock = NSLock()
    private var received: [IncomingMessage] = []
    /// JSON of `received[i]` (nil when not a JSON object), parsed once, on first use: tests poll
    /// `json(on:)` every 50-100 ms, and re-parsing 10,000 messages each time dominated the flood test.
    private var parsed: [[String: Any]?] = []
    private var consumer: Task<Void, Never>?

    init(port: Int, filters: [String], clientID: String = "recorder-\(UUID().uuidString.prefix(8))") async throws {
        client = try MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: port, clientID: clientID, cleanSession: true))
        for f in filters { try client.subscribe(f, qos: 1) }
        try await client.connect()
        let client = self.client
        consumer = Task { [weak self] in
            for await message in client.messages { self?.append(message) }
        }
    }

    private func append(_ m: IncomingMessage) { lock.withLock { received.append(m) } }

    var messages: [IncomingMessage] { lock.withLock { received } }

    func messages(on topic: String) -> [IncomingMessage] { messages.filter { $0.topic == topic } }

    /// JSON objects received on `topic`.
    func json(on topic: String) -> [[String: Any]] {
        lock.withLock {
            while parsed.count < received.count {
                let payload = Data(received[parsed.count].payload)
                parsed.append((try? JSONSerialization.jsonObject(with: payload)) as? [String: Any])
            }
            return zip(received, parsed).compactMap { $0.topic == topic ? $1 : nil }
        }
    }

    /// The `clip_id` of every event received on `topic`, in order (repeats included).
    func clipIDs(on topic: String) -> [String] {
        json(on: topic).compactMap { $0["clip_id"] as? String }
    }

    /// Waits until `condition` holds over the received messages.
    func wait(_ what: String, timeout: TimeInterval, file: StaticString = #filePath, line: UInt = #line,
              until condition: ([IncomingMessage]) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(messages) { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let topics = messages.map { "\($0.topic)=\($0.payload.count)B" }.joined(separator: ", ")
        XCTFail("timed out after \(timeout) s waiting for \(what); received: [\(topics)]", file: file, line: line)
        throw CancellationError()
    }

    func stop() {
        consumer?.cancel()
        client.disconnect()
    }
}

/// An AF_UNIX datagram socket standing in for systemd's notify socket (`NOTIFY_SOCKET`).
final class NotifyListener {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw XCTSkip("no AF_UNIX sockets") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw XCTSkip("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw XCTSkip("cannot bind \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Datagrams received until `condition` holds over all of them or `timeout` passes.
    func collect(timeout: TimeInterval, until condition: ([String]) -> Bool) -> [String] {
        var got: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline && !condition(got) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { got.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
        }
        return got
    }

    deinit {
        close(fd)
        unlink(path)
    }
}
