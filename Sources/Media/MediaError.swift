/// Why a payload could not be turned into a ``DecodedClip``.
///
/// The ``code`` is stable: its raw value is published as the `code` of `emotiond/errors` events,
/// so operators can count and alert on it. The ``message`` is for humans and may change.
public struct MediaError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Stable, snake_case reason codes (the MQTT error codes).
    public enum Code: String, Sendable, CaseIterable {
        /// The payload has no bytes.
        case emptyPayload = "empty_payload"
        /// The payload is larger than ``DecodeLimits/maxBytes`` (rejected before any parsing).
        case tooLarge = "too_large"
        /// The bytes are not one of the accepted containers (MP4/MOV, Matroska/WebM, MPEG-TS,
        /// OGG, WAV, FLAC, MP3), or not recognisable media at all.
        case unsupportedContainer = "unsupported_container"
        /// The container is fine but a stream we must decode uses a codec we cannot or may not
        /// decode.
        case unsupportedCodec = "unsupported_codec"
        /// The container holds neither an audio nor a video stream.
        case noMediaStream = "no_media_stream"
        /// More streams than ``DecodeLimits/maxStreams``.
        case tooManyStreams = "too_many_streams"
        /// A video stream (declared or decoded) exceeds the width/height/pixel limits.
        case resolutionTooLarge = "resolution_too_large"
        /// Declared or actual duration, or decoded frame/sample count, beyond the limits.
        case tooLong = "too_long"
        /// A whitelisted container that cannot be opened or read (e.g. an MP4 without its
        /// `moov` atom because the upload was cut).
        case truncatedOrCorrupt = "truncated_or_corrupt"
        /// The streams opened but no audio or video could be decoded from them.
        case decodeFailed = "decode_failed"
        /// A failure inside FFmpeg or this module that the input did not obviously cause
        /// (allocation failure, resampler/scaler set-up).
        case `internal` = "internal"
    }

    /// Stable reason code.
    public var code: Code
    /// Human-readable detail (what was found, which limit was hit).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
