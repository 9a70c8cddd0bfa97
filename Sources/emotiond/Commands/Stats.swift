import ArgumentParser
import Foundation
import Store

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print per-device emotion statistics from one or more statistics databases.",
        discussion: """
        Reads the SQLite files read-only (a running daemon is not disturbed) and merges them, so the \
        files of several scaled-out instances give one answer. Rows are per device and time bucket \
        (UTC): clips, errors, the share of each emotion, mean confidence and latency, modalities.

        Examples:
          emotiond stats --db /var/lib/emotiond/emotiond.sqlite
          emotiond stats --db a.sqlite --db b.sqlite --device kitchen --since 7d --bucket 1d --format csv
          emotiond stats --db emotiond.sqlite --since 2h --bucket 1m --plot kitchen.svg --device kitchen
        """)

    @Option(name: .customLong("db"), help: ArgumentHelp("Statistics database (repeatable; rows are merged).", valueName: "file"))
    var databases: [String] = []

    @Option(name: .customLong("device"), help: ArgumentHelp("Only this device (repeatable; default: all).", valueName: "id"))
    var devices: [String] = []

    @Option(help: ArgumentHelp("How far back: a number with s, m, h or d (e.g. 90m, 24h, 7d).", valueName: "duration"))
    var since = "24h"

    @Option(help: ArgumentHelp("Bucket size: 1m, 1h or 1d.", valueName: "size"))
    var bucket = "1h"

    @Option(help: ArgumentHelp("Output: table, json or csv.", valueName: "format"))
    var format = "table"

    @Option(help: ArgumentHelp("Also write an SVG timeline of one device (needs exactly one --device, or data of one device).", valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        if databases.isEmpty { throw ValidationError("give at least one --db FILE") }
        if Self.duration(since) == nil { throw ValidationError("--since: expected a number with s, m, h or d (e.g. 24h), got \(since)") }
        if Self.bucketSize(bucket) == nil { throw ValidationError("--bucket: expected 1m, 1h or 1d, got \(bucket)") }
        if !["table", "json", "csv"].contains(format) { throw ValidationError("--format: expected table, json or csv, got \(format)") }
        if plot != nil && devices.count > 1 { throw ValidationError("--plot draws one device: give at most one --device") }
    }

    func run() throws {
        let query = StatsQuery(files: databases, devices: Set(devices),
                               since: Date().addingTimeInterval(-Self.duration(since)!), bucket: Self.bucketSize(bucket)!)
        let rows: [StatsRow]
        do { rows = try query.run() } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        switch format {
        case "json": print(try StatsFormatter.json(rows))
        case "csv": print(StatsFormatter.csv(rows), terminator: "")
        default: print(StatsFormatter.table(rows), terminator: "")
        }
        if let plot {
            let shown = Set(rows.map(\.device))
            guard let device = devices.first ?? (shown.count == 1 ? shown.first : nil) else {
                printError("--plot: the data covers \(shown.count) devices; choose one with --device")
                throw ExitCode(1)
            }
            try TimelinePlot().write(rows: rows.filter { $0.device == device }, device: device, to: URL(fileURLWithPath: plot))
        }
    }

    /// "90m", "24h", "7d", "30s" in seconds.
    static func duration(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let value = Double(text.dropLast()), value >= 0, value.isFinite else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86_400
        default: return nil
        }
    }

    static func bucketSize(_ text: String) -> BucketSize? {
        switch text {
        case "1m", "minute": return .minute
        case "1h", "hour": return .hour
        case "1d", "day": return .day
        default: return nil
        }
    }
}
