import Foundation
import Fusion

/// Which modalities contributed to a clip's result; counted per bucket as audio-only,
/// video-only or both.
public struct ModalitySet: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let audio = ModalitySet(rawValue: 1)
    public static let video = ModalitySet(rawValue: 2)
    public static let both: ModalitySet = [.audio, .video]
}

/// One clip's result as the store needs it. Deliberately independent of the JSON event, so
/// the schema does not change when the wire format grows; `init(event:)` bridges the two.
public struct StoredResult: Sendable, Equatable {
    /// Device id (the `<device>` topic level).
    public var device: String
    /// Clip id; together with `device` the idempotency key.
    public var clipID: String
    /// When the clip was captured; chooses the time bucket.
    public var capturedAt: Date
    /// When the result was produced.
    public var processedAt: Date
    public var emotion: Emotion
    /// Probability of `emotion`. Defaults to `probabilities[emotion.index]`.
    public var confidence: Float
    /// Eight probabilities in `Emotion` order.
    public var probabilities: [Float]
    public var modalities: ModalitySet
    /// End-to-end processing latency in milliseconds.
    public var latencyMS: Double

    public init(
        device: String, clipID: String, capturedAt: Date, processedAt: Date, emotion: Emotion,
        confidence: Float? = nil, probabilities: [Float], modalities: ModalitySet, latencyMS: Double
    ) {
        self.device = device
        self.clipID = clipID
        self.capturedAt = capturedAt
        self.processedAt = processedAt
        self.emotion = emotion
        self.confidence = confidence ?? (probabilities.indices.contains(emotion.index) ? probabilities[emotion.index] : 0)
        self.probabilities = probabilities
        self.modalities = modalities
        self.latencyMS = latencyMS
    }

    /// Takes what the store counts from a published event: fused probabilities, the
    /// modalities fusion used, and `latency_ms["total"]` (0 when absent).
    public init(event: EmotionEvent) {
        var modalities: ModalitySet = []
        for m in event.fusion.modalitiesUsed {
            switch m {
            case .audio: modalities.insert(.audio)
            case .video: modalities.insert(.video)
            }
        }
        self.init(
            device: event.device, clipID: event.clipID, capturedAt: event.capturedAt, processedAt: event.processedAt,
            emotion: event.emotion, confidence: event.confidence,
            probabilities: Emotion.allCases.map { event.probabilities[$0.rawValue] ?? 0 },
            modalities: modalities, latencyMS: event.latencyMS["total"] ?? 0)
    }

    /// Rejects values that would poison sums: wrong vector width, NaN/infinite or negative
    /// numbers, empty identifiers.
    public func validate() throws {
        func fail(_ why: String) -> StoreError {
            StoreError(code: .invalidResult, message: "result for device '\(device)', clip '\(clipID)': \(why)")
        }
        if device.isEmpty { throw fail("empty device id") }
        if clipID.isEmpty { throw fail("empty clip id") }
        if probabilities.count != Emotion.count { throw fail("\(probabilities.count) probabilities, need \(Emotion.count)") }
        if probabilities.contains(where: { !$0.isFinite || $0 < 0 || $0 > 1.0001 }) { throw fail("probabilities must be finite and within 0...1") }
        if !confidence.isFinite || confidence < 0 || confidence > 1.0001 { throw fail("confidence \(confidence) outside 0...1") }
        if !latencyMS.isFinite || latencyMS < 0 { throw fail("latency \(latencyMS) ms is not a finite non-negative number") }
        if !capturedAt.timeIntervalSince1970.isFinite || !processedAt.timeIntervalSince1970.isFinite { throw fail("non-finite timestamp") }
    }
}
