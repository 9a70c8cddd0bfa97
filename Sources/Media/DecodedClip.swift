/// Everything the pipeline needs from one media payload.
public struct DecodedClip: Sendable, Equatable {
    /// Container kind: `mp4`, `matroska`, `webm`, `mpegts`, `ogg`, `wav`, `flac` or `mp3`.
    public var container: String
    /// Clip duration in seconds: the longest decoded stream's measured duration, or the
    /// container's declared duration when nothing could be measured.
    public var durationSeconds: Double
    /// The first audio stream, if the clip has one and audio decoding was requested.
    public var audio: AudioTrack?
    /// Evenly spaced frames of the first video stream (empty when there is none).
    public var frames: [VideoFrame]
    /// Whether the container has a real video stream (cover art in audio files does not count).
    public var hasVideoStream: Bool

    public init(container: String, durationSeconds: Double, audio: AudioTrack?, frames: [VideoFrame], hasVideoStream: Bool) {
        self.container = container
        self.durationSeconds = durationSeconds
        self.audio = audio
        self.frames = frames
        self.hasVideoStream = hasVideoStream
    }
}
