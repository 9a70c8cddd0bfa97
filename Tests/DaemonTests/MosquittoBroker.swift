import Foundation
import XCTest

/// (Adapted from BrokerTests/TestBroker.swift.) A real mosquitto broker for one test: its own temp directory and config, a free loopback
/// port, started and killed by the test. `restart()` reuses the same port.
final class MosquittoBroker {
    let directory: URL
    let port: Int
    /// Save sessions to disk on shutdown and restore them on start (SIGTERM, not SIGKILL).
    var persistent = false
    /// Lines appended after `listener`; may be extended until `start()`.
    var extraConfig: [String]
    private var pid: pid_t?

    /// `extraConfig` lines go into the listener's section (after `listener`), e.g. TLS files.
    init(extraConfig: [String] = [], allowAnonymous: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-broker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try MosquittoBroker.freePort()
        var lines = extraConfig
        if !lines.contains(where: { $0.hasPrefix("allow_anonymous") }) { lines.append("allow_anonymous \(allowAnonymous)") }
        self.extraConfig = lines
    }

    var configFile: URL { directory.appendingPathComponent("mosquitto.conf") }
    var logFile: URL { directory.appendingPathComponent("mosquitto.log") }

    func start(timeout: TimeInterval = 5) throws {
        var config = [
            "per_listener_settings false",
            persistent ? "persistence true\npersistence_location \(directory.path)/" : "persistence false",
            "log_dest file \(logFile.path)",
            "log_type all",
        ]
        if getuid() == 0 { config.append("user root") }
        config.append("listener \(port) 127.0.0.1")
        config += extraConfig
        try (config.joined(separator: "\n") + "\n").write(to: configFile, atomically: true, encoding: .utf8)

        let child = try spawnWithDefaultSignals(["/usr/sbin/mosquitto", "-c", configFile.path])
        pid = child
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if MosquittoBroker.accepts(port: port) { return }
            var status: Int32 = 0
            if waitpid(child, &status, WNOHANG) == child { pid = nil; break }
            usleep(20_000)
        }
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        throw NSError(domain: "MosquittoBroker", code: 1, userInfo: [NSLocalizedDescriptionKey: "mosquitto did not start on port \(port): \(log)"])
    }

    /// SIGKILL, as a crash: no clean shutdown, sockets reset.
    func kill() { signalAndReap(SIGKILL) }

    /// SIGTERM: mosquitto saves its persistence file and exits; SIGKILL after 3 s.
    func stop() { signalAndReap(SIGTERM) }

    private func signalAndReap(_ signal: Int32) {
        guard let child = pid else { return }
        pid = nil
        Glibc.kill(child, signal)
        let deadline = Date().addingTimeInterval(3)
        var status: Int32 = 0
        while waitpid(child, &status, WNOHANG) == 0 {
            if Date() > deadline {
                Glibc.kill(child, SIGKILL)
                waitpid(child, &status, 0)
                return
            }
            usleep(5_000)
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Binds port 0 on loopback and returns what the kernel chose.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw NSError(domain: "MosquittoBroker", code: 2) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
