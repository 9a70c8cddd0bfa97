import Foundation
import Fusion

/// The JSON conventions of every payload the daemon publishes: sorted keys, snake_case keys
/// (declared per type), RFC 3339 dates with milliseconds. Same as ``EmotionEvent/makeEncoder(pretty:)``.
public enum WireJSON {
    /// Shared encoder (JSONEncoder is safe to use from several threads once configured).
    public static let encoder: JSONEncoder = {
        let encoder = EmotionEvent.makeEncoder()
        // Topics and messages contain "/"; "\/" is valid JSON but needlessly hard to read.
        encoder.outputFormatting.insert(.withoutEscapingSlashes)
        return encoder
    }()
    /// Shared decoder.
    public static let decoder: JSONDecoder = EmotionEvent.makeDecoder()
}
