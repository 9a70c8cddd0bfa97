import Foundation

/// A real mosquitto broker for one test (shared by BrokerTests and DaemonTests): its own temp directory and config, a free loopback
/// port, started and killed by the test. `restart()` reuses the same port.
public final class MosquittoBroker {
    public let directory: URL
    public let port: Int
    /// Save sessions to disk on shutdown and restore them on start (SIGTERM, not SIGKILL).
    public var persistent = false
    /// Lines appended after `listener`; may be extended until `start()`.
    public var extraConfig: [String]
    private var pid: pid_t?

    /// `extraConfig` lines go into the listener's section (after `listener`), e.g. TLS files.
    public init(extraConfig: [String] = [], allowAnonymous: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-broker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try MosquittoBroker.freePort()
        var lines = extraConfig
        if !lines.contains(where: { $0.hasPrefix("allow_anonymous") }) { lines.append("allow_anonymous \(allowAnonymous)") }
        self.extraConfig = lines
    }

    public var configFile: URL { directory.appendingPathComponent("mosquitto.conf") }
    public var logFile: URL { directory.appendingPathComponent("mosquitto.log") }

    public func start(timeout: TimeInterval = 5) throws {
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
    public func kill() { signalAndReap(SIGKILL) }

    /// SIGTERM: mosquitto saves its persistence file and exits; SIGKILL after 3 s.
    public func stop() { signalAndReap(SIGTERM) }

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

    /// Runs a shell command in the broker's directory (openssl, mosquitto_passwd).
    @discardableResult
    public func shell(_ command: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.currentDirectoryURL = directory
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "MosquittoBroker", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "\(command) failed: \(text)"])
        }
        return text
    }

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Binds port 0 on loopback and returns what the kernel chose.
    public static func freePort() throws -> Int {
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

    public static func accepts(port: Int) -> Bool {
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

/// posix_spawn with an empty signal mask and default handlers. Foundation's `Process` passes on
/// the caller's mask, and Swift concurrency's pool threads block SIGTERM, so a child started
/// from an async test would otherwise ignore SIGTERM.
public func spawnWithDefaultSignals(_ argv: [String], stdout: String = "/dev/null", stderr: String = "/dev/null",
                             environment: [String: String] = [:]) throws -> pid_t {
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    var cEnv: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { cEnv.forEach { free($0) } }
    var child: pid_t = 0
    let rc = posix_spawn(&child, argv[0], &actions, &attr, &cArgs, &cEnv)
    guard rc == 0 else {
        throw NSError(domain: "spawn", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(argv[0]): \(String(cString: strerror(rc)))"])
    }
    return child
}
