import Foundation
import Fusion
import GRDB
import XCTest
@testable import Store

/// `AggregateStore` on real SQLite files in a temp directory.
final class AggregateStoreTests: XCTestCase {
    private var dir: TempDirectory!

    override func setUpWithError() throws { dir = try TempDirectory() }
    override func tearDown() { dir = nil }

    private func open(_ name: String = "stats.sqlite", _ configure: (inout AggregateStore.Configuration) -> Void = { _ in }) throws -> AggregateStore {
        var c = AggregateStore.Configuration()
        configure(&c)
        return try AggregateStore(path: dir.path(name), configuration: c)
    }

    private func sum(_ store: AggregateStore, _ sql: String) throws -> Double {
        try store.pool.read { db in try Double.fetchOne(db, sql: sql) ?? 0 }
    }

    func testMigratesAnEmptyFileAndReopensWithoutChanges() throws {
        let store = try open()
        let (tables, journal) = try store.pool.read { db in
            (try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
             try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        for t in ["minute_buckets", "hour_buckets", "day_buckets", "processed_clips", "clips", "error_codes", "grdb_migrations"] {
            XCTAssertTrue(tables.contains(t), "missing \(t) in \(tables)")
        }
        XCTAssertEqual(journal, "wal")
        let sync = try store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        XCTAssertEqual(sync, 1, "synchronous=NORMAL")
        let reopened = try open()
        let applied = try reopened.pool.read { db in try AggregateStore.migrator.appliedIdentifiers(db) }
        XCTAssertEqual(applied, ["v1"])
    }

    func testDuplicateClipIDIsCountedOnce() throws {
        let store = try open()
        var rng = SeededGenerator(seed: 7)
        let r = StoreFixtures.result(device: "cam1", clip: "clip-1", at: StoreFixtures.origin, emotion: .happy, &rng)
        XCTAssertTrue(try store.record(r))
        XCTAssertFalse(try store.record(r), "redelivery must not count")
        var other = r
        other.device = "cam2"  // same clip id from another device is a different clip
        XCTAssertTrue(try store.record(other))
        XCTAssertEqual(try sum(store, "SELECT SUM(clips) FROM minute_buckets"), 2)
        XCTAssertEqual(try sum(store, "SELECT n_happy FROM minute_buckets WHERE device = 'cam1'"), 1)
        XCTAssertEqual(try sum(store, "SELECT p_happy FROM minute_buckets WHERE device = 'cam1'"), Double(r.probabilities[Emotion.happy.index]), accuracy: 1e-6)
        XCTAssertEqual(try store.processedClipCount(), 2)
    }

    func testBatchIsOneTransactionAndDeduplicatesWithinIt() throws {
        let store = try open()
        let results = StoreFixtures.series(device: "cam1", count: 200)
        let counted = try store.record(batch: results + [results[5], results[9]])
        XCTAssertEqual(counted.count, 202)
        XCTAssertEqual(counted.filter { $0 }.count, 200)
        XCTAssertEqual(counted.suffix(2), [false, false])
        XCTAssertEqual(try sum(store, "SELECT SUM(clips) FROM minute_buckets"), 200)

        // An invalid member aborts the whole batch: nothing from it is written.
        var bad = StoreFixtures.series(device: "cam9", count: 3, seed: 3)
        bad[2].probabilities = [0.5, 0.5]
        XCTAssertThrowsError(try store.record(batch: bad)) { XCTAssertEqual(($0 as? StoreError)?.code, .invalidResult) }
        XCTAssertEqual(try sum(store, "SELECT COUNT(*) FROM minute_buckets WHERE device = 'cam9'"), 0)
    }

    func testMinuteHourAndDayRollupsAgree() throws {
        let store = try open()
        // 400 results 37 s apart from 22:00 UTC: about 4 hours, crossing midnight.
        let results = StoreFixtures.series(device: "cam1", count: 400) + StoreFixtures.series(device: "cam2", count: 150, seed: 2)
        try store.record(batch: results)
        let columns = ["clips", "errors", "audio_only", "video_only", "audio_video", "confidence_sum", "latency_sum_ms"]
            + AggregateStore.countColumns + AggregateStore.probabilityColumns
        for column in columns {
            for device in ["cam1", "cam2"] {
                let minute = try sum(store, "SELECT SUM(\(column)) FROM minute_buckets WHERE device = '\(device)'")
                let hour = try sum(store, "SELECT SUM(\(column)) FROM hour_buckets WHERE device = '\(device)'")
                let day = try sum(store, "SELECT SUM(\(column)) FROM day_buckets WHERE device = '\(device)'")
                XCTAssertEqual(minute, hour, accuracy: 1e-6 * max(1, minute), "\(column) \(device)")
                XCTAssertEqual(hour, day, accuracy: 1e-6 * max(1, hour), "\(column) \(device)")
            }
        }
        // Per hour: the hour row equals the sum of its minute rows.
        let mismatches = try store.pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM hour_buckets h WHERE h.clips != (SELECT SUM(m.clips) FROM minute_buckets m
                  WHERE m.device = h.device AND m.bucket_start >= h.bucket_start AND m.bucket_start < h.bucket_start + 3600)
                """)
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(try sum(store, "SELECT COUNT(*) FROM day_buckets WHERE device = 'cam1'"), 2, "crosses midnight UTC")
        XCTAssertEqual(try sum(store, "SELECT SUM(clips) FROM day_buckets"), 550)
        let expectedMax = results.filter { $0.device == "cam1" }.map(\.latencyMS).max()!
        XCTAssertEqual(try sum(store, "SELECT MAX(latency_max_ms) FROM day_buckets WHERE device = 'cam1'"), expectedMax)
        // Modality split adds up to the clip count.
        XCTAssertEqual(try sum(store, "SELECT SUM(audio_only + video_only + audio_video) FROM hour_buckets"), 550)
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    func testRetentionDeletesOnlyRowsOlderThanEachTablesLimit() throws {
        let store = try open { c in
            c.perClipRows = true
            c.minuteRetention = 3600
            c.hourRetention = 2 * 86_400
            c.dayRetention = nil
            c.clipRetention = 3600
            c.processedClipRetention = 86_400
        }
        let now = StoreFixtures.origin.addingTimeInterval(10 * 86_400)
        var rng = SeededGenerator(seed: 11)
        let old = StoreFixtures.result(device: "cam1", clip: "old", at: now.addingTimeInterval(-5 * 86_400), emotion: .sad, &rng)
        let recent = StoreFixtures.result(device: "cam1", clip: "recent", at: now.addingTimeInterval(-7200), emotion: .sad, &rng)
        let fresh = StoreFixtures.result(device: "cam1", clip: "fresh", at: now.addingTimeInterval(-60), emotion: .sad, &rng)
        try store.record(batch: [old, recent, fresh])
        let report = try store.applyRetention(now: now)
        XCTAssertEqual(report.minuteBuckets, 2)  // old and recent minute rows
        XCTAssertEqual(report.hourBuckets, 1)    // old hour row
        XCTAssertEqual(report.dayBuckets, 0)
        XCTAssertEqual(report.clips, 2)
        XCTAssertEqual(report.processedClips, 1)
        XCTAssertEqual(try sum(store, "SELECT SUM(clips) FROM minute_buckets"), 1)
        XCTAssertEqual(try sum(store, "SELECT SUM(clips) FROM hour_buckets"), 2)
        XCTAssertEqual(try sum(store, "SELECT SUM(clips) FROM day_buckets"), 3)
        XCTAssertEqual(try sum(store, "SELECT COUNT(*) FROM clips"), 1)
        XCTAssertEqual(try store.processedClipCount(), 2)
        XCTAssertEqual(try store.applyRetention(now: now), AggregateStore.RetentionReport(), "second pass finds nothing")
    }

    func testErrorsAreCountedPerBucketAndCode() throws {
        let store = try open()
        let t = StoreFixtures.origin
        try store.recordError(device: "cam1", code: "decode-failed", at: t)
        try store.recordError(device: "cam1", code: "decode-failed", at: t.addingTimeInterval(5))
        try store.recordError(device: "cam1", code: "too-large", at: t.addingTimeInterval(3 * 3600))
        try store.record(StoreFixtures.series(device: "cam1", count: 1)[0])
        XCTAssertEqual(try sum(store, "SELECT SUM(errors) FROM minute_buckets"), 3)
        XCTAssertEqual(try sum(store, "SELECT SUM(errors) FROM hour_buckets"), 3)
        XCTAssertEqual(try sum(store, "SELECT errors FROM minute_buckets WHERE bucket_start = \(BucketSize.minute.start(of: t))"), 2)
        XCTAssertEqual(try sum(store, "SELECT clips FROM minute_buckets WHERE bucket_start = \(BucketSize.minute.start(of: t))"), 1)
        XCTAssertEqual(try store.errorCodes(device: "cam1"), ["decode-failed": 2, "too-large": 1])
        let rows = try StatsQuery(files: [store.path], bucket: .hour).run()
        XCTAssertEqual(rows.map(\.errors).reduce(0, +), 3)
        XCTAssertNil(rows.first { $0.clips == 0 }?.dominant, "an error-only bucket has no dominant emotion")
    }

    func testPerClipRowsKeepProbabilitiesAsJSON() throws {
        let store = try open { $0.perClipRows = true }
        let r = StoreFixtures.series(device: "cam1", count: 1)[0]
        try store.record(r)
        try store.record(r)
        let row = try store.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM clips") }!
        XCTAssertEqual(row["clip_id"] as String, r.clipID)
        XCTAssertEqual(row["emotion"] as String, r.emotion.rawValue)
        let json = try JSONSerialization.jsonObject(with: Data((row["probabilities"] as String).utf8)) as! [Double]
        XCTAssertEqual(json.count, 8)
        for (a, b) in zip(json, r.probabilities) { XCTAssertEqual(a, Double(b), accuracy: 1e-5) }
        XCTAssertEqual(try sum(store, "SELECT COUNT(*) FROM clips"), 1)
    }

    func testHostileResultsAreTypedErrors() throws {
        let store = try open()
        var r = StoreFixtures.series(device: "cam1", count: 1)[0]
        let cases: [(inout StoredResult) -> Void] = [
            { $0.probabilities = Array(repeating: 0.1, count: 7) },
            { $0.probabilities[0] = .nan },
            { $0.probabilities[1] = -0.5 },
            { $0.latencyMS = .infinity },
            { $0.device = "" },
            { $0.clipID = "" },
            { $0.confidence = 2 },
        ]
        for mutate in cases {
            var bad = r
            mutate(&bad)
            XCTAssertThrowsError(try store.record(bad)) { XCTAssertEqual(($0 as? StoreError)?.code, .invalidResult) }
        }
        r.device = "cam1'; DROP TABLE minute_buckets; --"
        XCTAssertTrue(try store.record(r), "SQL-looking ids are just data")
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    func testLargeBatchCountsEverythingAndReportsThroughput() throws {
        let store = try open()
        let results = StoreFixtures.series(device: "cam1", count: 5000, spacing: 3, seed: 21)
        let start = Date()
        let counted = try store.record(batch: results)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(counted.filter { $0 }.count, 5000)
        XCTAssertEqual(try sum(store, "SELECT SUM(clips) FROM day_buckets"), 5000)
        print(String(format: "record(batch:) 5000 results in %.3f s (%.0f results/s, debug build)", seconds, 5000 / seconds))
    }

    func testIntegrityCheckIsOkAfterManyWrites() throws {
        let store = try open { $0.perClipRows = true }
        for chunk in 0..<5 {
            try store.record(batch: StoreFixtures.series(device: "cam\(chunk % 2)", count: 300, seed: UInt64(chunk + 1)))
            try store.recordError(device: "cam1", code: "x", at: StoreFixtures.origin)
        }
        try store.applyRetention(now: StoreFixtures.origin.addingTimeInterval(86_400 * 8))
        try store.checkpoint()
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    func testUnwritableLocationGivesAClearError() throws {
        // A path below a regular file fails even for root, as a read-only mount would.
        let file = dir.path("not-a-directory")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for path in [file + "/stats.sqlite", "/proc/emotiond-test/stats.sqlite"] {
            XCTAssertThrowsError(try AggregateStore(path: path)) { error in
                let e = error as? StoreError
                XCTAssertEqual(e?.code, .cannotOpen, "\(error)")
                XCTAssertTrue(e?.message.contains(path) == true, e?.message ?? "")
                XCTAssertTrue(e?.message.contains("writable") == true, e?.message ?? "")
            }
        }
    }

    func testAFileThatIsNotADatabaseIsIncompatible() throws {
        let path = dir.path("garbage.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try AggregateStore(path: path)) { XCTAssertEqual(($0 as? StoreError)?.code, .incompatible, "\($0)") }
        XCTAssertThrowsError(try StatsQuery(files: [path]).run()) { XCTAssertEqual(($0 as? StoreError)?.code, .incompatible, "\($0)") }
    }

    func testStoredResultFromEmotionEvent() throws {
        let probs: [Float] = [0.05, 0.05, 0.6, 0.1, 0.05, 0.05, 0.05, 0.05]
        let event = EmotionEvent(
            device: "cam1", clipID: "c1", capturedAt: StoreFixtures.origin, processedAt: StoreFixtures.origin.addingTimeInterval(1),
            fused: LateFusion.fuse([ModalityPrediction(modality: .audio, probabilities: probs, modelID: "test")])!,
            modalities: .init(audio: nil, video: nil), models: [:], latencyMS: ["total": 42.5, "decode": 3])
        let r = StoredResult(event: event)
        XCTAssertEqual(r.emotion, .happy)
        for (a, b) in zip(r.probabilities, probs) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(r.confidence, 0.6, accuracy: 1e-6)
        XCTAssertEqual(r.modalities, .audio)
        XCTAssertEqual(r.latencyMS, 42.5)
        XCTAssertNoThrow(try r.validate())
    }
}
