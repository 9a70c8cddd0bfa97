import Fusion
import GRDB

extension AggregateStore {
    /// Column names of the per-emotion counters (`n_<label>`) and probability sums (`p_<label>`).
    static let countColumns = Emotion.allCases.map { "n_\($0.rawValue)" }
    static let probabilityColumns = Emotion.allCases.map { "p_\($0.rawValue)" }

    /// Versioned schema. Never edit a registered migration; add a new one.
    ///
    /// v1:
    /// - `minute_buckets`, `hour_buckets`, `day_buckets` (identical columns), keyed by
    ///   (device, bucket_start in Unix seconds UTC): clips, errors, audio_only, video_only,
    ///   audio_video, confidence_sum, latency_sum_ms, latency_max_ms, n_<emotion> (8 counts),
    ///   p_<emotion> (8 probability sums). Every write updates all three (rollup on write), so
    ///   the coarse tables stay exact when the fine ones are pruned.
    /// - `processed_clips` (device, clip_id, processed_at): the idempotency ledger.
    /// - `clips`: optional per-clip rows.
    /// - `error_codes`: error counts per device, day and code.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            for size in BucketSize.allCases {
                let emotionColumns = (countColumns.map { "\($0) INTEGER NOT NULL DEFAULT 0" }
                    + probabilityColumns.map { "\($0) REAL NOT NULL DEFAULT 0" }).joined(separator: ",\n  ")
                try db.execute(sql: """
                    CREATE TABLE \(size.table) (
                      device TEXT NOT NULL,
                      bucket_start INTEGER NOT NULL,
                      clips INTEGER NOT NULL DEFAULT 0,
                      errors INTEGER NOT NULL DEFAULT 0,
                      audio_only INTEGER NOT NULL DEFAULT 0,
                      video_only INTEGER NOT NULL DEFAULT 0,
                      audio_video INTEGER NOT NULL DEFAULT 0,
                      confidence_sum REAL NOT NULL DEFAULT 0,
                      latency_sum_ms REAL NOT NULL DEFAULT 0,
                      latency_max_ms REAL NOT NULL DEFAULT 0,
                      \(emotionColumns),
                      PRIMARY KEY (device, bucket_start)
                    ) WITHOUT ROWID
                    """)
                try db.execute(sql: "CREATE INDEX \(size.table)_by_time ON \(size.table)(bucket_start)")
            }
            try db.execute(sql: """
                CREATE TABLE processed_clips (
                  device TEXT NOT NULL,
                  clip_id TEXT NOT NULL,
                  processed_at REAL NOT NULL,
                  PRIMARY KEY (device, clip_id)
                ) WITHOUT ROWID;
                CREATE INDEX processed_clips_by_time ON processed_clips(processed_at);
                CREATE TABLE clips (
                  device TEXT NOT NULL,
                  clip_id TEXT NOT NULL,
                  captured_at REAL NOT NULL,
                  processed_at REAL NOT NULL,
                  emotion TEXT NOT NULL,
                  confidence REAL NOT NULL,
                  probabilities TEXT NOT NULL,
                  audio INTEGER NOT NULL,
                  video INTEGER NOT NULL,
                  latency_ms REAL NOT NULL,
                  UNIQUE (device, clip_id)
                );
                CREATE INDEX clips_by_time ON clips(captured_at);
                CREATE TABLE error_codes (
                  device TEXT NOT NULL,
                  day_start INTEGER NOT NULL,
                  code TEXT NOT NULL,
                  count INTEGER NOT NULL DEFAULT 0,
                  PRIMARY KEY (device, day_start, code)
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }

    /// The newest migration this code knows; a file with others is from a newer version.
    static let knownMigrations: Set<String> = ["v1"]

    /// `INSERT ... ON CONFLICT DO UPDATE` adding one clip's (or error's) numbers to a bucket.
    static func upsertSQL(_ size: BucketSize) -> String {
        let additive = ["clips", "errors", "audio_only", "video_only", "audio_video", "confidence_sum", "latency_sum_ms"]
            + countColumns + probabilityColumns
        let columns = ["device", "bucket_start"] + additive + ["latency_max_ms"]
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        let updates = additive.map { "\($0) = \($0) + excluded.\($0)" }
            + ["latency_max_ms = MAX(latency_max_ms, excluded.latency_max_ms)"]
        return """
            INSERT INTO \(size.table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))
            ON CONFLICT (device, bucket_start) DO UPDATE SET \(updates.joined(separator: ", "))
            """
    }
}
