/// What an input topic carries (its last level).
public enum ClipKind: String, CaseIterable, Codable, Sendable {
    /// A complete media file with audio and/or video.
    case clip
    /// An audio-only chunk, fused with the `video` chunk of the same clip if one arrives.
    case audio
    /// A video-only chunk, fused with the `audio` chunk of the same clip if one arrives.
    case video
}
