import Foundation

/// The result of one clip: the body of `emotiond/<device>/emotion` (docs/MQTT.md), the output of
/// `emotiond classify --json`, and what tests check. One type serves all three.
///
/// JSON keys are snake_case; dates are RFC 3339 strings.
public struct EmotionEvent: Codable, Sendable, Equatable {
    public var device: String
    public var clipID: String
    public var capturedAt: Date
    public var processedAt: Date
    /// The fused emotion (or the only modality's).
    public var emotion: Emotion
    public var confidence: Float
    /// Fused probabilities, one per class, keyed by label.
    public var probabilities: [String: Float]
    public var modalities: Modalities
    /// How the result was formed: `late-average` over `modalities_used`.
    public var fusion: FusionInfo
    /// Model identifiers by modality (`audio`, `video`).
    public var models: [String: String]
    /// Wall time per stage in milliseconds (`decode`, `audio`, `video`, `fusion`, `total`).
    public var latencyMS: [String: Double]

    public struct Modalities: Codable, Sendable, Equatable {
        public var audio: AudioResult?
        public var video: VideoResult?
        public init(audio: AudioResult? = nil, video: VideoResult? = nil) {
            self.audio = audio
            self.video = video
        }
    }

    public struct AudioResult: Codable, Sendable, Equatable {
        public var emotion: Emotion
        public var confidence: Float
        public var probabilities: [String: Float]
        public var durationS: Double
        public init(emotion: Emotion, confidence: Float, probabilities: [String: Float], durationS: Double) {
            self.emotion = emotion
            self.confidence = confidence
            self.probabilities = probabilities
            self.durationS = durationS
        }
        enum CodingKeys: String, CodingKey {
            case emotion, confidence, probabilities
            case durationS = "duration_s"
        }
    }

    /// The facial branch. `emotion` is nil when no frame had a face.
    public struct VideoResult: Codable, Sendable, Equatable {
        public var emotion: Emotion?
        public var confidence: Float?
        public var probabilities: [String: Float]?
        public var facesFound: Int
        public var frames: Int
        public init(emotion: Emotion?, confidence: Float?, probabilities: [String: Float]?, facesFound: Int, frames: Int) {
            self.emotion = emotion
            self.confidence = confidence
            self.probabilities = probabilities
            self.facesFound = facesFound
            self.frames = frames
        }
        enum CodingKeys: String, CodingKey {
            case emotion, confidence, probabilities
            case facesFound = "faces_found"
            case frames
        }
    }

    public struct FusionInfo: Codable, Sendable, Equatable {
        public var method: String
        public var modalitiesUsed: [Modality]
        public init(method: String = "late-average", modalitiesUsed: [Modality]) {
            self.method = method
            self.modalitiesUsed = modalitiesUsed
        }
        enum CodingKeys: String, CodingKey {
            case method
            case modalitiesUsed = "modalities_used"
        }
    }

    enum CodingKeys: String, CodingKey {
        case device
        case clipID = "clip_id"
        case capturedAt = "captured_at"
        case processedAt = "processed_at"
        case emotion, confidence, probabilities, modalities, fusion, models
        case latencyMS = "latency_ms"
    }

    public init(
        device: String, clipID: String, capturedAt: Date, processedAt: Date,
        fused: FusedPrediction, modalities: Modalities, models: [String: String], latencyMS: [String: Double]
    ) {
        self.device = device
        self.clipID = clipID
        self.capturedAt = capturedAt
        self.processedAt = processedAt
        self.emotion = fused.emotion
        self.confidence = fused.confidence
        self.probabilities = Emotion.named(fused.probabilities)
        self.modalities = modalities
        self.fusion = FusionInfo(modalitiesUsed: fused.modalities)
        self.models = models
        self.latencyMS = latencyMS
    }

    /// Encoder with the wire conventions (sorted keys, RFC 3339 dates with milliseconds).
    public static func makeEncoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(RFC3339.string(from: date))
        }
        return encoder
    }

    /// Decoder matching `makeEncoder` (accepts RFC 3339 with or without fractional seconds).
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { dec in
            let s = try dec.singleValueContainer().decode(String.self)
            guard let d = RFC3339.date(from: s) else {
                throw DecodingError.dataCorrupted(.init(codingPath: dec.codingPath, debugDescription: "not RFC 3339: \(s)"))
            }
            return d
        }
        return decoder
    }
}

extension Emotion {
    /// A probability vector as a label -> probability dictionary (the JSON form).
    public static func named(_ probabilities: [Float]) -> [String: Float] {
        var out: [String: Float] = [:]
        for e in Emotion.allCases { out[e.rawValue] = probabilities[e.index] }
        return out
    }
}

/// RFC 3339 timestamps (the `captured-at` user property and every JSON date).
public enum RFC3339 {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC, rounded to the nearest millisecond.
    ///
    /// Written by hand from `gmtime_r` because it runs twice per event: making an
    /// `ISO8601DateFormatter` each time cost about 0.1 ms, and a shared one is not documented as
    /// thread-safe on Linux. Years outside 0...9999 fall back to the formatter.
    public static func string(from date: Date) -> String {
        let millis = (date.timeIntervalSince1970 * 1000).rounded()
        guard millis.isFinite, abs(millis) < 1e15 else { return formatterString(from: date) }
        let total = Int64(millis)
        let seconds = total >= 0 ? total / 1000 : -((-total + 999) / 1000)
        let fraction = Int(total - seconds * 1000)
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return formatterString(from: date) }
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else { return formatterString(from: date) }
        func digits(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(year, 4) + "-" + digits(Int(parts.tm_mon) + 1, 2) + "-" + digits(Int(parts.tm_mday), 2)
            + "T" + digits(Int(parts.tm_hour), 2) + ":" + digits(Int(parts.tm_min), 2) + ":"
            + digits(Int(parts.tm_sec), 2) + "." + digits(fraction, 3) + "Z"
    }

    private static func formatterString(from date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    public static func date(from string: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: string) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: string)
    }
}
