/// The first audio stream of a clip, decoded, downmixed to mono and resampled.
public struct AudioTrack: Sendable, Equatable {
    /// Mono Float32 samples, nominally in [-1, 1].
    public var samples: [Float]
    /// Sample rate of ``samples`` (``DecodeOptions/audioSampleRate``).
    public var sampleRate: Int
    /// Duration of the original decoded audio (input samples / input rate), in seconds.
    public var durationSeconds: Double

    public init(samples: [Float], sampleRate: Int, durationSeconds: Double) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.durationSeconds = durationSeconds
    }
}
