import Foundation
import Fusion
import GRDB

/// Reads per-device bucket totals from one or more statistics files (each daemon instance
/// of a scaled-out deployment keeps its own) and merges rows with the same device and bucket
/// start by summing. Files are opened read-only; a running daemon is never disturbed.
///
/// ```swift
/// let rows = try StatsQuery(files: ["a.sqlite", "b.sqlite"], devices: ["cam1"],
///                           since: Date().addingTimeInterval(-86_400), bucket: .hour).run()
/// print(StatsFormatter.table(rows))
/// ```
public struct StatsQuery: Sendable {
    /// Database files to read.
    public var files: [String]
    /// Devices to include; empty means all.
    public var devices: Set<String>
    /// Only buckets that contain or follow this time. Nil means no lower bound.
    public var since: Date?
    /// Only buckets starting before this time. Nil means no upper bound.
    public var until: Date?
    /// Granularity: which rollup table to read.
    public var bucket: BucketSize

    public init(files: [String], devices: Set<String> = [], since: Date? = nil, until: Date? = nil, bucket: BucketSize = .hour) {
        self.files = files
        self.devices = devices
        self.since = since
        self.until = until
        self.bucket = bucket
    }

    /// Rows sorted by device, then bucket start.
    ///
    /// - Throws: `StoreError` `.notFound` for a missing file, `.incompatible` for a file that
    ///   is not an emotiond statistics database, `.database` for read failures.
    public func run() throws -> [StatsRow] {
        var merged: [String: StatsRow] = [:]
        for file in files {
            for row in try read(file) {
                let key = "\(row.device)\u{0}\(Int64(row.bucketStart.timeIntervalSince1970))"
                if merged[key] == nil { merged[key] = row } else { merged[key]!.merge(row) }
            }
        }
        return merged.values.sorted { ($0.device, $0.bucketStart) < ($1.device, $1.bucketStart) }
    }

    private func read(_ file: String) throws -> [StatsRow] {
        guard FileManager.default.fileExists(atPath: file) else {
            throw StoreError(code: .notFound, message: "no statistics database at \(file)")
        }
        var config = Configuration()
        config.readonly = true
        config.label = "emotiond.stats"
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: file, configuration: config)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError(code: .incompatible, message: "\(file) is not an SQLite database")
        } catch let error as DatabaseError {
            throw StoreError(code: .cannotOpen, message: "cannot open \(file) read-only: \(error.message ?? "\(error.resultCode)")")
        }
        do {
            return try queue.read { db in
                guard try db.tableExists(bucket.table) else {
                    throw StoreError(code: .incompatible, message: "\(file) is not an emotiond statistics database (no \(bucket.table) table)")
                }
                var conditions: [String] = []
                var arguments: [DatabaseValueConvertible] = []
                if !devices.isEmpty {
                    conditions.append("device IN (\(Array(repeating: "?", count: devices.count).joined(separator: ", ")))")
                    arguments += devices.sorted() as [DatabaseValueConvertible]
                }
                if let since {
                    conditions.append("bucket_start >= ?")
                    arguments.append(bucket.start(of: since))
                }
                if let until {
                    conditions.append("bucket_start < ?")
                    arguments.append(Int64(ceil(until.timeIntervalSince1970)))
                }
                let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
                let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \(bucket.table)\(whereClause)", arguments: StatementArguments(arguments))
                var out: [StatsRow] = []
                while let r = try rows.next() {
                    var row = StatsRow(device: r["device"], bucketStart: Date(timeIntervalSince1970: TimeInterval(r["bucket_start"] as Int64)), bucket: bucket)
                    row.clips = r["clips"]
                    row.errors = r["errors"]
                    row.audioOnly = r["audio_only"]
                    row.videoOnly = r["video_only"]
                    row.audioVideo = r["audio_video"]
                    row.confidenceSum = r["confidence_sum"]
                    row.latencySumMS = r["latency_sum_ms"]
                    row.latencyMaxMS = r["latency_max_ms"]
                    row.emotionCounts = AggregateStore.countColumns.map { r[$0] }
                    row.probabilitySums = AggregateStore.probabilityColumns.map { r[$0] }
                    out.append(row)
                }
                return out
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            let code: StoreError.Code = error.resultCode == .SQLITE_NOTADB ? .incompatible : .database
            throw StoreError(code: code, message: "reading \(file) failed: \(error.message ?? "\(error.resultCode)")")
        }
    }
}
