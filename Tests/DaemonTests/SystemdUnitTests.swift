import XCTest

/// Checks systemd/emotiond.service: the directives the daemon relies on are there, and
/// `systemd-analyze verify` accepts it (skipped where systemd-analyze is not installed).
final class SystemdUnitTests: XCTestCase {
    private var unitPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("systemd/emotiond.service").path
    }

    func testUnitHasTheContractDirectives() throws {
        let text = try String(contentsOfFile: unitPath, encoding: .utf8)
        let lines = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for directive in [
            "Type=notify", "WatchdogSec=30", "DynamicUser=yes", "StateDirectory=emotiond", "ConfigurationDirectory=emotiond",
            "ExecStart=/usr/local/bin/emotiond serve --config /etc/emotiond/emotiond.yaml",
            "ExecReload=/bin/kill -HUP $MAINPID", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
            "PrivateDevices=yes", "NoNewPrivileges=yes", "SystemCallFilter=@system-service", "SystemCallArchitectures=native",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "MemoryMax=512M", "Restart=on-failure",
            "RestartPreventExitStatus=78", "CapabilityBoundingSet=", "TimeoutStopSec=30",
        ] {
            XCTAssertTrue(lines.contains(directive), "missing \(directive)")
        }
    }

    func testSystemdAnalyzeVerifyAcceptsIt() throws {
        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else { throw XCTSkip("systemd-analyze not installed") }
        // verify insists that ExecStart's binary exists: check a copy pointing at /bin/true.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("emotiond.service")
        try String(contentsOfFile: unitPath, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/emotiond", with: "/bin/true")
            .write(to: copy, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = ["verify", copy.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssertFalse(text.contains("emotiond.service:"), "warnings about the unit: \(text)")
    }
}
