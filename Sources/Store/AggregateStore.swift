import Foundation
import Fusion
import GRDB

/// The daemon's statistics database: per device and time bucket counts of clips, emotions,
/// modalities, errors and latencies, in one SQLite file.
///
/// One writer: an `AggregateStore` owns a GRDB `DatabasePool` (WAL journal, so readers such as
/// `emotiond stats` never block it, `synchronous=NORMAL`, which loses at most the last
/// transactions on power loss but never corrupts, and a busy timeout). Open one store per file
/// per process. All methods are synchronous and thread-safe (GRDB serialises writes); call
/// them off latency-sensitive threads, ideally with `record(batch:)`.
///
/// Rollups happen on write: each result adds to its minute, hour and day bucket in the same
/// transaction, so the three tables always agree and each can have its own retention.
///
/// Idempotency: `processed_clips` remembers (device, clip id) pairs; a re-delivered clip is
/// not counted again. The ledger is kept even when per-clip rows are off, and pruned after
/// `Configuration.processedClipRetention`.
public final class AggregateStore: @unchecked Sendable {
    /// Settings; every property documents its default.
    public struct Configuration: Sendable {
        /// Keep one row per clip in `clips`. Default false (buckets only).
        public var perClipRows: Bool = false
        /// Age after which per-clip rows are deleted, seconds. Default 30 days.
        public var clipRetention: TimeInterval? = 30 * 86_400
        /// Age after which minute buckets are deleted. Default 7 days.
        public var minuteRetention: TimeInterval? = 7 * 86_400
        /// Age after which hour buckets are deleted. Default 90 days.
        public var hourRetention: TimeInterval? = 90 * 86_400
        /// Age after which day buckets (and per-day error code counts) are deleted. Default
        /// nil (kept forever; about 365 small rows per device and year).
        public var dayRetention: TimeInterval? = nil
        /// How long a clip id is remembered for de-duplication. Default 7 days (far beyond
        /// any MQTT redelivery or spool replay).
        public var processedClipRetention: TimeInterval = 7 * 86_400
        /// How long a writer waits for a lock held by another connection. Default 5 s.
        public var busyTimeout: TimeInterval = 5

        public init() {}
    }

    /// Rows deleted by one `applyRetention` pass.
    public struct RetentionReport: Sendable, Equatable {
        public var minuteBuckets = 0, hourBuckets = 0, dayBuckets = 0, clips = 0, processedClips = 0, errorCodes = 0
    }

    /// The database file.
    public let path: String
    public let configuration: Configuration
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    ///
    /// - Throws: `StoreError` `.cannotOpen` when the file cannot be created or opened for
    ///   writing (the message names the path and the likely fix), `.incompatible` for a file
    ///   from a newer emotiond or another application.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        self.configuration = configuration
        var config = GRDB.Configuration()
        config.busyMode = .timeout(configuration.busyTimeout)
        config.label = "emotiond.store"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError(code: .incompatible, message: "\(path) exists but is not an SQLite database")
        } catch let error as DatabaseError {
            throw StoreError(code: .cannotOpen, message: "cannot open the statistics database at \(path): \(error.message ?? "\(error.resultCode)") (check that the directory exists and is writable by the service user, e.g. systemd StateDirectory=)")
        } catch {
            throw StoreError(code: .cannotOpen, message: "cannot open the statistics database at \(path): \(error)")
        }
        do {
            let applied = try pool.read { db in try Self.migrator.appliedIdentifiers(db) }
            let unknown = applied.subtracting(Self.knownMigrations)
            if !unknown.isEmpty {
                throw StoreError(code: .incompatible, message: "\(path) has schema migrations \(unknown.sorted()) unknown to this emotiond; use a newer version")
            }
            try Self.migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError(code: error.resultCode == .SQLITE_NOTADB ? .incompatible : .cannotOpen,
                             message: "cannot prepare the statistics database at \(path): \(error.message ?? "\(error.resultCode)")")
        }
    }

    /// Counts one result. Returns false, changing nothing, when (device, clip id) was already
    /// recorded (a redelivery).
    ///
    /// - Throws: `StoreError` `.invalidResult` or `.database`.
    @discardableResult
    public func record(_ result: StoredResult) throws -> Bool {
        try record(batch: [result])[0]
    }

    /// Counts many results in one transaction (much cheaper per result than one by one).
    /// Returns, per input, whether it was newly counted; duplicates within the batch count once.
    /// Nothing is written if any result is invalid.
    @discardableResult
    public func record(batch results: [StoredResult]) throws -> [Bool] {
        for r in results { try r.validate() }
        let perClip = configuration.perClipRows
        return try write { db in
            let ledger = try db.cachedStatement(sql: "INSERT INTO processed_clips (device, clip_id, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            let upserts = try BucketSize.allCases.map { try db.cachedStatement(sql: Self.upsertSQL($0)) }
            let clipRow = perClip ? try db.cachedStatement(sql: """
                INSERT INTO clips (device, clip_id, captured_at, processed_at, emotion, confidence, probabilities, audio, video, latency_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """) : nil
            var counted: [Bool] = []
            counted.reserveCapacity(results.count)
            for r in results {
                try ledger.execute(arguments: [r.device, r.clipID, r.processedAt.timeIntervalSince1970])
                guard db.changesCount > 0 else {
                    counted.append(false)
                    continue
                }
                for (size, upsert) in zip(BucketSize.allCases, upserts) {
                    try upsert.execute(arguments: Self.bucketArguments(for: r, size: size))
                }
                if let clipRow {
                    let json = "[" + r.probabilities.map { String(format: "%.6g", Double($0)) }.joined(separator: ",") + "]"
                    try clipRow.execute(arguments: [
                        r.device, r.clipID, r.capturedAt.timeIntervalSince1970, r.processedAt.timeIntervalSince1970,
                        r.emotion.rawValue, Double(r.confidence), json,
                        r.modalities.contains(.audio), r.modalities.contains(.video), r.latencyMS,
                    ])
                }
                counted.append(true)
            }
            return counted
        }
    }

    /// Counts one rejected payload or failed clip for `device` in the buckets containing
    /// `at`, and per `code` per day.
    public func recordError(device: String, code: String, at date: Date = Date()) throws {
        guard !device.isEmpty, date.timeIntervalSince1970.isFinite else {
            throw StoreError(code: .invalidResult, message: "error record needs a device id and a finite time")
        }
        try write { db in
            for size in BucketSize.allCases {
                var args: [DatabaseValueConvertible] = [device, size.start(of: date), 0, 1, 0, 0, 0, 0.0, 0.0]
                args += Array(repeating: 0, count: Emotion.count) as [DatabaseValueConvertible]
                args += Array(repeating: 0.0, count: Emotion.count) as [DatabaseValueConvertible]
                args.append(0.0)
                try db.execute(sql: Self.upsertSQL(size), arguments: StatementArguments(args))
            }
            try db.execute(sql: """
                INSERT INTO error_codes (device, day_start, code, count) VALUES (?, ?, ?, 1)
                ON CONFLICT (device, day_start, code) DO UPDATE SET count = count + 1
                """, arguments: [device, BucketSize.day.start(of: date), code])
        }
    }

    /// Deletes rows older than their retention, measured back from `now`. Call it
    /// periodically (the daemon does hourly); it is cheap when there is nothing to delete.
    @discardableResult
    public func applyRetention(now: Date = Date()) throws -> RetentionReport {
        let c = configuration
        return try write { db in
            var report = RetentionReport()
            func prune(_ table: String, _ column: String, _ age: TimeInterval?) throws -> Int {
                guard let age else { return 0 }
                try db.execute(sql: "DELETE FROM \(table) WHERE \(column) < ?", arguments: [now.timeIntervalSince1970 - age])
                return db.changesCount
            }
            report.minuteBuckets = try prune("minute_buckets", "bucket_start", c.minuteRetention)
            report.hourBuckets = try prune("hour_buckets", "bucket_start", c.hourRetention)
            report.dayBuckets = try prune("day_buckets", "bucket_start", c.dayRetention)
            report.clips = try prune("clips", "captured_at", c.clipRetention)
            report.processedClips = try prune("processed_clips", "processed_at", c.processedClipRetention)
            report.errorCodes = try prune("error_codes", "day_start", c.dayRetention)
            return report
        }
    }

    /// Runs `PRAGMA integrity_check`; returns ["ok"] for a sound file, else SQLite's findings.
    public func integrityCheck() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    /// Error counts by code for `device` since `since` (day granularity).
    public func errorCodes(device: String, since: Date = .distantPast) throws -> [String: Int] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT code, SUM(count) AS n FROM error_codes WHERE device = ? AND day_start >= ? GROUP BY code",
                                        arguments: [device, BucketSize.day.start(of: since)])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["code"] as String, $0["n"] as Int) })
        }
    }

    /// Number of remembered clip ids (idempotency ledger size).
    public func processedClipCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM processed_clips") ?? 0 }
    }

    /// Writes pending WAL content into the main file (also done automatically by SQLite).
    public func checkpoint() throws {
        do {
            try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
        } catch let error as DatabaseError {
            throw StoreError(code: .database, message: "checkpoint of \(path) failed: \(error.message ?? "\(error.resultCode)")")
        }
    }

    // MARK: Helpers

    static func bucketArguments(for r: StoredResult, size: BucketSize) -> StatementArguments {
        let audio = r.modalities.contains(.audio), video = r.modalities.contains(.video)
        var args: [DatabaseValueConvertible] = [
            r.device, size.start(of: r.capturedAt), 1, 0,
            (audio && !video) ? 1 : 0, (video && !audio) ? 1 : 0, (audio && video) ? 1 : 0,
            Double(r.confidence), r.latencyMS,
        ]
        args += Emotion.allCases.map { $0 == r.emotion ? 1 : 0 } as [DatabaseValueConvertible]
        args += r.probabilities.map { Double($0) } as [DatabaseValueConvertible]
        args.append(r.latencyMS)
        return StatementArguments(args)
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(body)
        } catch let error as DatabaseError {
            throw StoreError(code: .database, message: "writing \(path) failed: \(error.message ?? "\(error.resultCode)")")
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as DatabaseError {
            throw StoreError(code: .database, message: "reading \(path) failed: \(error.message ?? "\(error.resultCode)")")
        }
    }
}
