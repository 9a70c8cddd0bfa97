import XCTest
import Glibc
@testable import Daemon

/// A real AF_UNIX datagram socket standing in for systemd's notify socket.
private final class NotifySocket {
    let fd: Int32
    let address: String

    init(address: String) throws {
        self.address = address
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw XCTSkip("no AF_UNIX sockets") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var path = Array(address.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else { throw XCTSkip("cannot bind \(address): errno \(errno)") }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
    }

    deinit {
        close(fd)
        if !address.hasPrefix("@") { unlink(address) }
    }
}

final class SystemdNotifierTests: XCTestCase {
    func testNoOpWithoutNotifySocket() throws {
        let notifier = SystemdNotifier(environment: [:])
        XCTAssertFalse(notifier.isEnabled)
        XCTAssertNil(notifier.watchdogInterval)
        XCTAssertNoThrow(try notifier.ready())
        XCTAssertNoThrow(try notifier.watchdog())
    }

    func testSendsToAPathSocket() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        let socket = try NotifySocket(address: path)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        XCTAssertTrue(notifier.isEnabled)
        try notifier.ready(status: "replaying 3 spooled clips")
        XCTAssertEqual(socket.receive(), "READY=1\nSTATUS=replaying 3 spooled clips")
        try notifier.watchdog()
        XCTAssertEqual(socket.receive(), "WATCHDOG=1")
        try notifier.status("2 devices\nline two")
        XCTAssertEqual(socket.receive(), "STATUS=2 devices line two")
        try notifier.stopping()
        XCTAssertEqual(socket.receive(), "STOPPING=1")
    }

    func testSendsToAnAbstractSocket() throws {
        let name = "@emotiond-test-\(UUID().uuidString.prefix(8))"
        let socket = try NotifySocket(address: name)
        try SystemdNotifier(environment: ["NOTIFY_SOCKET": name]).ready()
        XCTAssertEqual(socket.receive(), "READY=1")
    }

    func testMissingSocketIsATypedError() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify"])
        XCTAssertThrowsError(try notifier.watchdog()) { error in
            XCTAssertEqual((error as? SystemdNotifierError)?.errno, ENOENT)
        }
    }

    func testWatchdogIntervalIsHalfTheTimeoutAndRespectsWatchdogPID() {
        XCTAssertEqual(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"], pid: 42).watchdogInterval, 15)
        XCTAssertEqual(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"], pid: 42).watchdogInterval, 15)
        XCTAssertNil(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"], pid: 42).watchdogInterval)
        XCTAssertNil(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval)
    }
}
