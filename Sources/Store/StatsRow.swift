import Foundation
import Fusion

/// The totals of one device over one time bucket, possibly merged from several database
/// files. Raw sums are stored; shares and means are derived, so merging stays exact.
public struct StatsRow: Sendable, Equatable {
    public var device: String
    /// Start of the bucket (UTC-aligned).
    public var bucketStart: Date
    public var bucket: BucketSize
    /// Clips counted (errors excluded).
    public var clips: Int
    /// Rejected payloads and failed clips.
    public var errors: Int
    /// Clips per emotion, in `Emotion` order.
    public var emotionCounts: [Int]
    /// Summed fused probabilities per emotion, in `Emotion` order.
    public var probabilitySums: [Double]
    public var audioOnly: Int
    public var videoOnly: Int
    public var audioVideo: Int
    public var confidenceSum: Double
    public var latencySumMS: Double
    public var latencyMaxMS: Double

    public init(device: String, bucketStart: Date, bucket: BucketSize) {
        self.device = device
        self.bucketStart = bucketStart
        self.bucket = bucket
        clips = 0
        errors = 0
        emotionCounts = Array(repeating: 0, count: Emotion.count)
        probabilitySums = Array(repeating: 0, count: Emotion.count)
        audioOnly = 0
        videoOnly = 0
        audioVideo = 0
        confidenceSum = 0
        latencySumMS = 0
        latencyMaxMS = 0
    }

    /// Adds another row's totals (same device and bucket) to this one.
    public mutating func merge(_ other: StatsRow) {
        clips += other.clips
        errors += other.errors
        for i in 0..<Emotion.count {
            emotionCounts[i] += other.emotionCounts[i]
            probabilitySums[i] += other.probabilitySums[i]
        }
        audioOnly += other.audioOnly
        videoOnly += other.videoOnly
        audioVideo += other.audioVideo
        confidenceSum += other.confidenceSum
        latencySumMS += other.latencySumMS
        latencyMaxMS = max(latencyMaxMS, other.latencyMaxMS)
    }

    /// Fraction of clips per emotion (zeros when there were no clips).
    public var shares: [Double] {
        clips == 0 ? Array(repeating: 0, count: Emotion.count) : emotionCounts.map { Double($0) / Double(clips) }
    }

    /// The most frequent emotion; ties go to the larger summed probability, then to the
    /// earlier class. Nil without clips.
    public var dominant: Emotion? {
        guard clips > 0 else { return nil }
        var best = 0
        for i in 1..<Emotion.count {
            if emotionCounts[i] > emotionCounts[best]
                || (emotionCounts[i] == emotionCounts[best] && probabilitySums[i] > probabilitySums[best]) {
                best = i
            }
        }
        return Emotion(index: best)
    }

    /// Mean confidence of the counted clips; nil without clips.
    public var meanConfidence: Double? { clips == 0 ? nil : confidenceSum / Double(clips) }

    /// Mean fused probability per emotion; zeros without clips.
    public var meanProbabilities: [Double] {
        clips == 0 ? Array(repeating: 0, count: Emotion.count) : probabilitySums.map { $0 / Double(clips) }
    }

    /// Mean end-to-end latency in milliseconds; nil without clips.
    public var meanLatencyMS: Double? { clips == 0 ? nil : latencySumMS / Double(clips) }
}
