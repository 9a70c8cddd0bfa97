import Foundation
import Fusion

/// Renders `StatsRow`s for people (aligned table) and programs (JSON, CSV). All times are
/// RFC 3339 UTC; shares are fractions (0...1) in JSON/CSV and percentages in the table.
public enum StatsFormatter {
    /// An aligned text table: one line per device and bucket, the per-emotion shares as
    /// percentages.
    public static func table(_ rows: [StatsRow]) -> String {
        var header = ["device", "bucket", "clips", "errors", "dominant", "conf"]
        header += Emotion.allCases.map { String($0.rawValue.prefix(5)) + "%" }
        var lines: [[String]] = [header]
        for r in rows {
            var line = [r.device, label(r.bucketStart, r.bucket), "\(r.clips)", "\(r.errors)",
                        r.dominant?.rawValue ?? "-", r.meanConfidence.map { String(format: "%.2f", $0) } ?? "-"]
            line += r.shares.map { String(format: "%.1f", $0 * 100) }
            lines.append(line)
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { c, cell in
                // Text columns left-aligned, numbers right-aligned.
                c < 2 || c == 4 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// A JSON array; each object has device, bucket, bucket_start, clips, errors, dominant,
    /// mean_confidence, counts and shares (keyed by emotion), modalities and latency_ms.
    public static func json(_ rows: [StatsRow], pretty: Bool = true) throws -> String {
        let objects: [[String: Any]] = rows.map { r in
            var o: [String: Any] = [
                "device": r.device,
                "bucket": r.bucket.rawValue,
                "bucket_start": RFC3339.string(from: r.bucketStart),
                "clips": r.clips,
                "errors": r.errors,
                "counts": Dictionary(uniqueKeysWithValues: Emotion.allCases.map { ($0.rawValue, r.emotionCounts[$0.index]) }),
                "shares": Dictionary(uniqueKeysWithValues: Emotion.allCases.map { ($0.rawValue, r.shares[$0.index]) }),
                "mean_probabilities": Dictionary(uniqueKeysWithValues: Emotion.allCases.map { ($0.rawValue, r.meanProbabilities[$0.index]) }),
                "modalities": ["audio_only": r.audioOnly, "video_only": r.videoOnly, "audio_video": r.audioVideo],
                "latency_ms": ["mean": r.meanLatencyMS.map { $0 as Any } ?? NSNull(), "max": r.latencyMaxMS] as [String: Any],
            ]
            o["dominant"] = r.dominant?.rawValue ?? NSNull()
            o["mean_confidence"] = r.meanConfidence.map { $0 as Any } ?? NSNull()
            return o
        }
        var options: JSONSerialization.WritingOptions = [.sortedKeys]
        if pretty { options.insert(.prettyPrinted) }
        let data = try JSONSerialization.data(withJSONObject: objects, options: options)
        return String(decoding: data, as: UTF8.self)
    }

    /// CSV with a header line: device, bucket_start, clips, errors, dominant,
    /// mean_confidence, n_<emotion> x8, share_<emotion> x8, audio_only, video_only,
    /// audio_video, latency_mean_ms, latency_max_ms. Fields are quoted when needed (RFC 4180).
    public static func csv(_ rows: [StatsRow]) -> String {
        var header = ["device", "bucket_start", "clips", "errors", "dominant", "mean_confidence"]
        header += Emotion.allCases.map { "n_\($0.rawValue)" }
        header += Emotion.allCases.map { "share_\($0.rawValue)" }
        header += ["audio_only", "video_only", "audio_video", "latency_mean_ms", "latency_max_ms"]
        var out = header.joined(separator: ",") + "\n"
        for r in rows {
            var fields = [quote(r.device), RFC3339.string(from: r.bucketStart), "\(r.clips)", "\(r.errors)",
                          r.dominant?.rawValue ?? "", r.meanConfidence.map { String(format: "%.4f", $0) } ?? ""]
            fields += r.emotionCounts.map { "\($0)" }
            fields += r.shares.map { String(format: "%.4f", $0) }
            fields += ["\(r.audioOnly)", "\(r.videoOnly)", "\(r.audioVideo)",
                       r.meanLatencyMS.map { String(format: "%.2f", $0) } ?? "", String(format: "%.2f", r.latencyMaxMS)]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Bucket start as shown in tables and plots (UTC).
    static func label(_ date: Date, _ bucket: BucketSize) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = bucket == .day ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm"
        return f.string(from: date)
    }
}
