import Foundation
import Fusion

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
