import Foundation
import Fusion

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
