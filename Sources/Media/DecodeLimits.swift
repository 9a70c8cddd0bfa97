/// Resource limits applied to every payload, before and during decoding.
///
/// Payloads come from the network, so every dimension that can make decoding expensive is
/// bounded: the byte size (checked before FFmpeg sees anything), what the container declares
/// (stream count, duration, resolution; checked right after opening), and what decoding actually
/// produces (timestamps, frame and sample counts, decoded frame sizes; checked as it goes, so a
/// "decompression bomb" is stopped early instead of exhausting memory).
public struct DecodeLimits: Sendable, Equatable {
    /// Largest accepted payload in bytes. Default 32 MiB.
    public var maxBytes: Int
    /// Longest accepted clip in seconds, declared or measured. Default 30.
    ///
    /// A measured duration may exceed this by ``durationSlackSeconds`` (codec padding makes a
    /// "30 s" clip measure 30.02 s).
    public var maxDurationSeconds: Double
    /// Tolerance added to ``maxDurationSeconds`` for measured durations. Default 0.5 s.
    public var durationSlackSeconds: Double
    /// Widest accepted video, in pixels. Default 4096.
    public var maxWidth: Int
    /// Tallest accepted video, in pixels. Default 4096.
    public var maxHeight: Int
    /// Largest accepted frame area (width x height). Default 4096 x 2304.
    public var maxPixels: Int
    /// Most streams (of any kind) a container may hold. Default 8.
    public var maxStreams: Int
    /// Highest video frame rate considered plausible; with the duration it bounds the number of
    /// video frames decoded (``maxVideoFrames``). Default 120.
    public var maxFrameRate: Double
    /// Highest input audio sample rate considered plausible; with the duration it bounds the
    /// number of decoded input samples (``maxAudioSamples``). Default 192 000.
    public var maxAudioSampleRate: Int
    /// Codec names (FFmpeg decoder names such as `h264`, `aac`) that may be decoded; `nil`
    /// allows every decoder FFmpeg has. Default ``commonCodecs``.
    public var allowedCodecs: Set<String>?

    /// Most video frames decoded per clip: `(maxDurationSeconds + slack) x maxFrameRate`.
    public var maxVideoFrames: Int {
        Int(((maxDurationSeconds + durationSlackSeconds) * maxFrameRate).rounded(.up))
    }

    /// Most input audio samples (per channel) decoded per clip:
    /// `(maxDurationSeconds + slack) x maxAudioSampleRate`.
    public var maxAudioSamples: Int {
        Int(((maxDurationSeconds + durationSlackSeconds) * Double(maxAudioSampleRate)).rounded(.up))
    }

    public init(
        maxBytes: Int = 32 << 20,
        maxDurationSeconds: Double = 30,
        durationSlackSeconds: Double = 0.5,
        maxWidth: Int = 4096,
        maxHeight: Int = 4096,
        maxPixels: Int = 4096 * 2304,
        maxStreams: Int = 8,
        maxFrameRate: Double = 120,
        maxAudioSampleRate: Int = 192_000,
        allowedCodecs: Set<String>? = DecodeLimits.commonCodecs
    ) {
        self.maxBytes = maxBytes
        self.maxDurationSeconds = maxDurationSeconds
        self.durationSlackSeconds = durationSlackSeconds
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxPixels = maxPixels
        self.maxStreams = maxStreams
        self.maxFrameRate = maxFrameRate
        self.maxAudioSampleRate = maxAudioSampleRate
        self.allowedCodecs = allowedCodecs
    }

    /// The defaults documented on each property.
    public static let `default` = DecodeLimits()

    /// Decoders for what phones, browsers, cameras and ffmpeg commonly put in the accepted
    /// containers. Keeping the list short keeps rarely exercised decoders (a classic attack
    /// surface) away from network input.
    public static let commonCodecs: Set<String> = [
        // video
        "h264", "hevc", "vp8", "vp9", "av1", "libdav1d", "mpeg4", "mpeg2video", "mpeg1video",
        "mjpeg", "theora",
        // audio
        "aac", "mp3", "mp3float", "mp2", "mp2float", "opus", "libopus", "vorbis", "flac", "alac",
        "ac3", "eac3", "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le",
        "pcm_s32be", "pcm_f32le", "pcm_f32be", "pcm_f64le", "pcm_u8", "pcm_alaw", "pcm_mulaw",
    ]
}
