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

/// The body of `<prefix>/events` (Frigate-style): what the episode was before and is after.
public struct EpisodeEvent: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// An episode started (`before` is null).
        case new
        /// Its dominant emotion changed.
        case update
        /// No qualifying clip for `state.episode_timeout_s` (`after.ended_at` is set).
        case end
    }

    public var type: Kind
    public var before: Episode?
    public var after: Episode
}

/// The body of the retained `<prefix>/<device>/state`: the dominant emotion over the window.
public struct DeviceStateSnapshot: Codable, Equatable, Sendable {
    public var device: String
    /// Emotion with the largest summed confidence in the window; nil when the window is empty.
    public var emotion: Emotion?
    /// Its share of the summed confidence (0...1).
    public var confidence: Float
    /// Clips in the window.
    public var clips: Int
    /// Clips per emotion label in the window.
    public var counts: [String: Int]
    public var windowS: Double
    /// The current episode's id, if one is running.
    public var episodeID: String?
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case device, emotion, confidence, clips, counts
        case windowS = "window_s"
        case episodeID = "episode_id"
        case updatedAt = "updated_at"
    }
}
