import Foundation
import Fusion

/// A device's emotion episode: a stretch of time in which one emotion dominated its clips.
public struct Episode: Codable, Equatable, Sendable {
    /// `<device>-<start in Unix milliseconds>`: unique per device, stable across updates.
    public var id: String
    public var device: String
    /// The dominant emotion (changes cause `update` events).
    public var emotion: Emotion
    public var startedAt: Date
    /// Time of the latest qualifying clip.
    public var lastClipAt: Date
    /// Set on the `end` event.
    public var endedAt: Date?
    /// Qualifying clips since the start.
    public var clips: Int
    /// Highest confidence of a qualifying clip of ``emotion``.
    public var peakConfidence: Float

    enum CodingKeys: String, CodingKey {
        case id, device, emotion, clips
        case startedAt = "started_at"
        case lastClipAt = "last_clip_at"
        case endedAt = "ended_at"
        case peakConfidence = "peak_confidence"
    }
}
