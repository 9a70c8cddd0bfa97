import Foundation

/// Time bucket granularity. Buckets are aligned to UTC (a day bucket starts at 00:00 UTC).
public enum BucketSize: String, Sendable, CaseIterable, Codable {
    case minute, hour, day

    /// Bucket length in seconds.
    public var seconds: Int64 {
        switch self {
        case .minute: 60
        case .hour: 3600
        case .day: 86_400
        }
    }

    /// The table holding this granularity.
    var table: String { "\(rawValue)_buckets" }

    /// Start of the bucket containing `date`, in Unix seconds.
    public func start(of date: Date) -> Int64 {
        let t = Int64(floor(date.timeIntervalSince1970))
        return t - ((t % seconds) + seconds) % seconds
    }
}
