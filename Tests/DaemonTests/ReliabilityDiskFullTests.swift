import Broker
import Foundation
import Store
import TestSupport
import XCTest

/// Issue 6, item 7: the state directory (SQLite store and spool) fills up. The daemon must say
/// so clearly, publish error events, keep running, leave an intact database
/// (`PRAGMA integrity_check` = ok) and work again once space returns.
///
/// The state directory is a 4 MB tmpfs; the test skips when mount(8) is not permitted.
final class ReliabilityDiskFullTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var broker: MosquittoBroker?
    private var mountPoint: String?

    override func setUp() async throws {
        try Reliability.requireMosquitto()
        scratch = try ScratchDirectory()
    }

    override func tearDown() async throws {
        broker?.kill()
        broker = nil
        if let mountPoint { _ = try? runCommand(["/bin/umount", "-l", mountPoint]) }
        scratch = nil
    }

    func testFullStateDirectoryIsReportedLeavesAnIntactDatabaseAndRecovers() async throws {
        let model = try Checkout.audioModel()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else { throw XCTSkip("sqlite3 CLI missing") }
        let state = scratch.path("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let mount = try runCommand(["/bin/mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", state])
        guard mount.status == 0 else { throw XCTSkip("cannot mount a tmpfs here: \(mount.err)") }
        mountPoint = state

        let broker = try MosquittoBroker()
        try broker.start()
        self.broker = broker
        let config = try Reliability.writeConfig(in: scratch, port: broker.port, audioModel: model,
                                                 clientID: "rel-disk-\(UUID().uuidString.prefix(6))")
        let db = "\(state)/stats.sqlite"
        let recorder = try await TopicRecorder(port: broker.port, filters: ["emotiond/available", "emotiond/errors", "emotiond/+/emotion", "emotiond/stats"])
        defer { recorder.stop() }
        let daemon = try DaemonProcess(configFile: config, logFile: scratch.path("daemon.log"),
                                       extraArguments: ["--set", "store.path=\(db)", "--set", "spool.dir=\(state)/spool"])
        try await recorder.wait("available = online", timeout: 20) { ms in ms.contains { $0.payload == Array("online".utf8) } }
        let publisher = try await Reliability.publisher(port: broker.port)
        defer { publisher.disconnect() }
        let clip = [UInt8](try Reliability.toneClip(in: scratch))
        func send(_ id: String) throws {
            try publisher.publish(topic: "emotiond/in/disk/clip", payload: clip, qos: 1, properties: PublishProperties(userProperties: ["clip-id": id]))
        }
        // One clip while there is space: the database has content to protect.
        try send("before")
        try await recorder.wait("event before the disk fills", timeout: 20) { _ in !recorder.messages(on: "emotiond/disk/emotion").isEmpty }
        try await Task.sleep(nanoseconds: 500_000_000) // store flush (0.2 s)

        // Fill the file system to the last byte.
        let filler = "\(state)/filler"
        _ = try runCommand(["/bin/dd", "if=/dev/zero", "of=\(filler)", "bs=64k"])
        for i in 1...5 { try send("full-\(i)") }
        try await recorder.wait("error events while the disk is full", timeout: 20) { _ in
            recorder.json(on: "emotiond/errors").contains { ($0["clip_id"] as? String ?? "").hasPrefix("full-") }
        }
        try await Task.sleep(nanoseconds: 1_000_000_000)
        let fullErrors = recorder.json(on: "emotiond/errors").filter { ($0["clip_id"] as? String ?? "").hasPrefix("full-") }
        let codes = Set(fullErrors.compactMap { $0["code"] as? String })
        XCTAssertTrue(Reliability.isRunning(daemon.pid), "a full disk must not stop the daemon; log:\n\(daemon.log)")
        XCTAssertFalse(codes.isEmpty)
        let logWhileFull = daemon.log
        XCTAssertTrue(logWhileFull.contains("No space left on device") || logWhileFull.lowercased().contains("full"),
                      "the log names the cause; log:\n\(logWhileFull)")

        // The metric: the stats message counts the refusals by code.
        try await recorder.wait("stats counting the refusals", timeout: 5) { _ in
            recorder.json(on: "emotiond/stats").contains { stats in
                let byCode = stats["errors_by_code"] as? [String: Int] ?? [:]
                return codes.allSatisfy { byCode[$0] != nil } && byCode.values.reduce(0, +) >= fullErrors.count
            }
        }

        // Space returns: the daemon works again without a restart.
        try FileManager.default.removeItem(atPath: filler)
        try send("after")
        try await recorder.wait("event after space returned", timeout: 20) { _ in
            recorder.json(on: "emotiond/disk/emotion").contains { $0["clip_id"] as? String == "after" }
        }
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 15), 0, daemon.log)

        let check = try runCommand(["/usr/bin/sqlite3", db, "PRAGMA integrity_check;"])
        XCTAssertEqual(check.out.trimmingCharacters(in: .whitespacesAndNewlines), "ok", check.err)
        let rows = try StatsQuery(files: [db], bucket: .minute).run().filter { $0.device == "disk" }
        let stored = rows.reduce(0) { $0 + $1.clips }, storedErrors = rows.reduce(0) { $0 + $1.errors }
        XCTAssertGreaterThanOrEqual(stored, 2, "the clips before and after the full disk are stored")
        let fullLines = logWhileFull.split(separator: "\n").filter { $0.contains("No space") || $0.lowercased().contains("full") }
        print("RELIABILITY disk-full: codes \(codes.sorted()); \(fullErrors.count) error events for 5 clips; stored clips \(stored), errors \(storedErrors); "
              + "integrity ok; e.g. \(fullLines.first ?? "")")
    }
}
