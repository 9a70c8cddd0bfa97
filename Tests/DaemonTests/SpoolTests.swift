import XCTest
@testable import Daemon

final class SpoolTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-spool-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func files() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    func testAcceptPendingCompleteRoundTrip() throws {
        let clock = ManualClock()
        let spool = try Spool(directory: dir, clock: clock)
        let captured = Date(timeIntervalSince1970: 1_600_000_000.5)
        let a = try spool.accept(device: "cam1", kind: .clip, clipID: "a", payload: Data("first".utf8), capturedAt: captured)
        clock.advance(by: 1)
        let b = try spool.accept(device: "cam2", kind: .audio, clipID: "b", clipIDIsExplicit: false,
                                 payload: Data(repeating: 7, count: 100_000), capturedAt: captured)
        XCTAssertLessThan(a.sequence, b.sequence)

        // A new Spool on the same directory (a restart) sees both, in acceptance order.
        let restarted = try Spool(directory: dir)
        let pending = try restarted.pending()
        XCTAssertEqual(pending, [a, b])
        XCTAssertEqual(pending[1].metadata.clipIDIsExplicit, false)
        XCTAssertEqual(pending[1].metadata.acceptedAt, clock.now)
        XCTAssertEqual(try restarted.payload(of: pending[0]), Data("first".utf8))
        XCTAssertEqual(try restarted.payload(of: pending[1]), Data(repeating: 7, count: 100_000))

        try restarted.complete(a)
        XCTAssertEqual(try restarted.pending().map(\.clipID), ["b"])
        // Sequences keep growing after a restart, so order survives it. A clip accepted by this
        // run is not "pending" for it (it is already in flight), only for the next run.
        let c = try restarted.accept(device: "cam1", kind: .video, clipID: "c", payload: Data([1]), capturedAt: captured)
        XCTAssertGreaterThan(c.sequence, b.sequence)
        XCTAssertEqual(try restarted.pending().map(\.clipID), ["b"])
        XCTAssertEqual(try Spool(directory: dir).pending().map(\.clipID), ["b", "c"])
        try restarted.complete(b)
        try restarted.complete(c)
        try restarted.complete(c) // completing twice is harmless
        XCTAssertEqual(files(), [])
    }

    func testOrderHoldsBeyondNineEntries() throws {
        let spool = try Spool(directory: dir, durable: false)
        for i in 0..<12 {
            try spool.accept(device: "d", kind: .clip, clipID: "c\(i)", payload: Data([UInt8(i)]), capturedAt: Date())
        }
        XCTAssertEqual(try Spool(directory: dir).pending().map(\.clipID), (0..<12).map { "c\($0)" })
    }

    func testCrashLeftoversAreCleanedUp() throws {
        let spool = try Spool(directory: dir)
        let good = try spool.accept(device: "d", kind: .clip, clipID: "good", payload: Data(repeating: 1, count: 64), capturedAt: Date())
        // A write interrupted before its rename.
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/.partial-00000000000000000099", contents: Data("EMSPOOL1".utf8)))
        // A truncated journal file (payload shorter than the header says).
        let truncated = try spool.accept(device: "d", kind: .clip, clipID: "cut", payload: Data(repeating: 2, count: 64), capturedAt: Date())
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: truncated.path))
        try handle.truncate(atOffset: 40)
        try handle.close()
        // Garbage with a journal name, and a file that is not ours.
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/00000000000000000050.spool", contents: Data("garbage".utf8)))
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/README", contents: Data("operator notes".utf8)))

        let recovery = try Spool(directory: dir).recover()
        XCTAssertEqual(recovery.entries, [good])
        XCTAssertEqual(recovery.removedPartials, 1)
        XCTAssertEqual(recovery.removedCorrupt, 2)
        XCTAssertEqual(files(), ["00000000000000000001.spool", "README"])
    }

    func testRecoverLeavesThisRunsWritesInProgressAlone() throws {
        let spool = try Spool(directory: dir)
        let inFlight = dir + "/" + Spool.partialPrefix + Spool.name(of: spool.firstSequenceOfThisRun)
        XCTAssertTrue(FileManager.default.createFile(atPath: inFlight, contents: Data("EMSPOOL1".utf8)))
        let recovery = try spool.recover()
        XCTAssertEqual(recovery.removedPartials, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: inFlight))
        // The next run sees it as a leftover.
        XCTAssertEqual(try Spool(directory: dir).recover().removedPartials, 1)
    }

    func testImplausibleSequenceIsATypedErrorNotAnOverflow() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/18446744073709551615.spool", contents: Data()))
        XCTAssertThrowsError(try Spool(directory: dir)) { XCTAssertEqual(($0 as? SpoolError)?.code, "spool_corrupt") }
    }

    func testPayloadOfACorruptedEntryIsATypedError() throws {
        let spool = try Spool(directory: dir)
        let entry = try spool.accept(device: "d", kind: .clip, clipID: "x", payload: Data(repeating: 3, count: 10), capturedAt: Date())
        try Data("EMSPOOL2 broken".utf8).write(to: URL(fileURLWithPath: entry.path))
        XCTAssertThrowsError(try spool.payload(of: entry)) { error in
            XCTAssertEqual((error as? SpoolError)?.code, "spool_corrupt")
        }
    }

    /// A full disk throws `diskFull`, leaves no partial file, and keeps earlier entries intact.
    /// Uses a 256 KiB tmpfs (needs CAP_SYS_ADMIN, which root in this container has).
    func testDiskFullIsTypedAndLeavesNothingBehind() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir]
        mount.standardError = FileHandle.nullDevice
        do { try mount.run() } catch { throw XCTSkip("cannot run mount: \(error)") }
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount a tmpfs here (not root?)") }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [dir]
            try? umount.run()
            umount.waitUntilExit()
        }

        let spool = try Spool(directory: dir + "/spool")
        let kept = try spool.accept(device: "d", kind: .clip, clipID: "kept", payload: Data(repeating: 5, count: 100_000), capturedAt: Date())
        XCTAssertThrowsError(try spool.accept(device: "d", kind: .clip, clipID: "big",
                                              payload: Data(repeating: 6, count: 400_000), capturedAt: Date())) { error in
            XCTAssertEqual(error as? SpoolError, .diskFull(path: self.dir + "/spool"))
            XCTAssertEqual((error as? SpoolError)?.code, "spool_full")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/spool")
        XCTAssertEqual(names, ["00000000000000000001.spool"], "no partial file may remain")
        XCTAssertEqual(try spool.payload(of: kept), Data(repeating: 5, count: 100_000))
        // Once space is free again, accepting works.
        try spool.complete(kept)
        XCTAssertNoThrow(try spool.accept(device: "d", kind: .clip, clipID: "again", payload: Data(repeating: 7, count: 150_000), capturedAt: Date()))
    }

    /// A real crash: a child process (this test binary, running `SpoolCrashChild`) journals
    /// large payloads in a loop and is killed with SIGKILL mid-write. Afterwards every
    /// journal file is complete and correct, and partial files are removed.
    func testSIGKILLMidWriteLeavesOnlyCompleteEntries() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["DaemonTests.SpoolCrashChild/testJournalUntilKilled"]
        var environment = ProcessInfo.processInfo.environment
        environment[SpoolCrashChild.directoryVariable] = dir
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL); child.waitUntilExit() } }

        // Wait for a few complete entries and a write in progress, then kill.
        let deadline = Date() + 30
        var sawPartial = false
        while Date() < deadline {
            let names = files()
            let complete = names.filter { $0.hasSuffix(".spool") }.count
            sawPartial = names.contains { $0.hasPrefix(".partial-") }
            if complete >= 3 && sawPartial { break }
            usleep(200)
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)
        XCTAssertTrue(sawPartial, "the child never had a write in progress")

        let spool = try Spool(directory: dir)
        let recovery = try spool.recover()
        XCTAssertGreaterThanOrEqual(recovery.entries.count, 3)
        XCTAssertLessThanOrEqual(recovery.removedPartials, 1)
        XCTAssertEqual(recovery.removedCorrupt, 0)
        for (i, entry) in recovery.entries.enumerated() {
            XCTAssertEqual(entry.clipID, "child-\(i)", "entries are in acceptance order with none missing")
            let payload = try spool.payload(of: entry)
            XCTAssertEqual(payload.count, SpoolCrashChild.payloadSize)
            XCTAssertTrue(payload.allSatisfy { $0 == UInt8(i % 251) }, "payload of \(entry.clipID) is intact")
        }
        XCTAssertFalse(files().contains { $0.hasPrefix(".partial-") })
    }
}

/// Runs only as the child of `testSIGKILLMidWriteLeavesOnlyCompleteEntries` (skipped otherwise).
final class SpoolCrashChild: XCTestCase {
    static let directoryVariable = "EMOTIOND_TEST_SPOOL_CRASH_DIR"
    static let payloadSize = 4 * 1024 * 1024

    func testJournalUntilKilled() throws {
        guard let dir = ProcessInfo.processInfo.environment[Self.directoryVariable] else {
            throw XCTSkip("helper for SpoolTests; runs only in a child process")
        }
        let spool = try Spool(directory: dir)
        for i in 0..<10_000 {
            try spool.accept(device: "child", kind: .clip, clipID: "child-\(i)",
                             payload: Data(repeating: UInt8(i % 251), count: Self.payloadSize), capturedAt: Date())
        }
    }
}
