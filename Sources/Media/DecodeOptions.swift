/// What to produce from a clip (as opposed to ``DecodeLimits``, which says what to refuse).
public struct DecodeOptions: Sendable, Equatable {
    /// Output sample rate of ``AudioTrack/samples`` (mono Float32). Default 16 000 Hz, what the
    /// audio features expect.
    public var audioSampleRate: Int
    /// How many evenly spaced frames to take from the video. Default 22, as in the reference
    /// pipeline; a clip with fewer frames yields all of them.
    public var videoFrameCount: Int
    /// Longest side of the returned frames; larger frames are downscaled keeping the aspect ratio,
    /// smaller ones are never upscaled. Default 640.
    public var maxFrameSide: Int
    /// Decode the first audio stream. Default `true`.
    public var decodeAudio: Bool
    /// Decode the first video stream. Default `true`.
    public var decodeVideo: Bool
    /// Decoder threads per stream. Default 1: the daemon runs one worker per core, so
    /// parallelism comes from clips, not from inside one decoder.
    public var decoderThreads: Int
    /// Let the video decoder drop non-reference frames that will not be returned. Default
    /// `true`. Safe by construction: the frames to keep are chosen from packet timestamps
    /// before decoding, those packets are always decoded, and a dropped non-reference frame
    /// is by definition never needed to decode another one, so the result is the same as a
    /// full decode (tests compare both), only faster (B-frames are often half the frames).
    public var skipNonReferenceFrames: Bool

    public init(
        audioSampleRate: Int = 16_000,
        videoFrameCount: Int = 22,
        maxFrameSide: Int = 640,
        decodeAudio: Bool = true,
        decodeVideo: Bool = true,
        decoderThreads: Int = 1,
        skipNonReferenceFrames: Bool = true
    ) {
        self.audioSampleRate = audioSampleRate
        self.videoFrameCount = videoFrameCount
        self.maxFrameSide = maxFrameSide
        self.decodeAudio = decodeAudio
        self.decodeVideo = decodeVideo
        self.decoderThreads = decoderThreads
        self.skipNonReferenceFrames = skipNonReferenceFrames
    }
}
