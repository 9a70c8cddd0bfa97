/// Median, 95th percentile and mean of a set of timings (milliseconds), as reported by
/// `emotiond bench`.
///
/// Percentiles use the nearest-rank method on the sorted samples, so every reported number is
/// one that was actually measured.
public struct BenchSummary: Codable, Sendable, Equatable {
    public var count: Int
    public var median: Double
    public var p95: Double
    public var mean: Double
    public var min: Double
    public var max: Double

    /// Summarises `samples`; all zeros for an empty set.
    public init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        guard !sorted.isEmpty else {
            (median, p95, mean, min, max) = (0, 0, 0, 0, 0)
            return
        }
        func rank(_ q: Double) -> Double {
            let index = Swift.max(0, Swift.min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1))
            return sorted[index]
        }
        // Median: mean of the two middle samples for an even count.
        let mid = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
        p95 = rank(0.95)
        mean = sorted.reduce(0, +) / Double(sorted.count)
        min = sorted[0]
        max = sorted[sorted.count - 1]
    }
}
