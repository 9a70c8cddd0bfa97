import CFFmpeg
import Foundation

/// Decodes one complete media file held in memory (an MQTT payload) into mono 16 kHz audio and
/// a handful of evenly spaced RGB frames.
///
/// The decoder is a value with no state between calls: every call opens its own FFmpeg
/// contexts, which are freed before it returns (also when it throws), so one instance can be
/// used from several worker threads at once.
///
/// Steps, and what each one refuses:
/// 1. size check (`empty_payload`, `too_large`) before FFmpeg sees a byte;
/// 2. container probe over all demuxers, accepted only if on the whitelist
///    (`unsupported_container`), then opened from memory with that demuxer only, no protocols
///    (`truncated_or_corrupt` if it cannot be opened; `too_many_streams` if the demuxer
///    refused a stream beyond FFmpeg's `max_streams`, which it reports as out of memory);
/// 3. declared stream count, resolution and duration (`too_many_streams`,
///    `resolution_too_large`, `too_long`); decoders looked up (`unsupported_codec`);
/// 4. demux of the first audio and first video stream into memory, measuring real timestamps
///    and counting packets (`too_long` as soon as a limit is crossed);
/// 5. decoding: audio resampled to mono Float32, video sampled at N evenly spaced instants and
///    scaled to RGB24; decoded sizes and counts are checked frame by frame
///    (`resolution_too_large`, `too_long`, `decode_failed`).
///
/// Corrupt packets inside a stream are skipped as a player would; the clip fails with
/// `decode_failed` only when nothing at all could be decoded. A stream that must be decoded
/// but whose codec is missing or not in ``DecodeLimits/allowedCodecs`` fails the whole clip
/// (`unsupported_codec`) rather than silently dropping a modality; turn the modality off in
/// ``DecodeOptions`` to decode the other one alone.
public struct ClipDecoder: Sendable {
    /// What is refused.
    public var limits: DecodeLimits
    /// What is produced.
    public var options: DecodeOptions

    public init(limits: DecodeLimits = .default, options: DecodeOptions = .init()) {
        self.limits = limits
        self.options = options
    }

    /// libavformat's `probesize` for WAV. Its WAV demuxer asks for the PCM data to be probed for
    /// a compressed stream in disguise (S/PDIF), and libavformat then re-runs every format
    /// probe on a buffer grown packet by packet up to `probesize` (5 MB by default, i.e. the
    /// whole clip): 30 probes, three times the cost of decoding the clip. 32 KiB is 1 s of
    /// 16 kHz 16-bit mono and plenty to see an S/PDIF header.
    static let wavProbeSize = 32 * 1024

    /// Decodes `data`; see ``decode(_:)-([UInt8])``.
    public func decode(_ data: Data) throws -> DecodedClip {
        if data.isEmpty { throw MediaError(.emptyPayload, "payload is empty") }
        if data.count > limits.maxBytes { throw tooLargeError(data.count) }
        return try decode([UInt8](data))
    }

    /// Decodes one complete media file.
    ///
    /// - Throws: ``MediaError`` (only), whose ``MediaError/code`` says why.
    public func decode(_ bytes: [UInt8]) throws -> DecodedClip {
        guard !bytes.isEmpty else { throw MediaError(.emptyPayload, "payload is empty") }
        guard bytes.count <= limits.maxBytes else { throw tooLargeError(bytes.count) }
        guard options.audioSampleRate > 0, options.videoFrameCount >= 0, options.maxFrameSide > 0 else {
            throw MediaError(.internal, "invalid decode options \(options)")
        }
        LibAV.silenceLogging

        let probe = try ContainerProbe.detect(bytes)
        let codecWhitelist = limits.allowedCodecs.map { $0.sorted().joined(separator: ",") }
        func open(streamCap: Int) throws -> (FormatInput, Int32) {
            let input = FormatInput(bytes)
            let status = try input.open(format: probe.format, formatWhitelist: ContainerProbe.formatWhitelist,
                                        codecWhitelist: codecWhitelist, streamCap: streamCap,
                                        probeSize: probe.container == "wav" ? Self.wavProbeSize : nil)
            return (input, status)
        }
        let streamCap = max(64, limits.maxStreams * 4)
        var (input, status) = try open(streamCap: streamCap)
        if status == LibAV.outOfMemory {
            // Demuxers (Matroska, MP4) turn a refused stream beyond `max_streams` into ENOMEM,
            // which would read as a corrupt file. Open once more with a wider cap only to count
            // the streams, so a header declaring hundreds of tracks is `too_many_streams`.
            (input, status) = try open(streamCap: Self.streamCountingCap)
            if status == LibAV.outOfMemory {
                throw MediaError(.tooManyStreams, "more than \(Self.streamCountingCap) streams (or out of memory), limit is \(limits.maxStreams)")
            }
        }
        guard status >= 0, let format = input.context else {
            throw MediaError(.truncatedOrCorrupt, "cannot open the \(probe.container) container: \(LibAV.describe(status))")
        }
        try checkStreamCount(format)
        try checkDeclaredResolutions(format)
        // Fills in parameters that some containers (MPEG-TS, OGG) only learn from the data.
        let infoStatus = input.findStreamInfo(maxPixels: limits.maxPixels)
        guard infoStatus >= 0 else {
            throw MediaError(.truncatedOrCorrupt, "cannot read stream parameters: \(LibAV.describe(infoStatus))")
        }
        try checkStreamCount(format)
        try checkDeclaredResolutions(format)
        let declaredDuration = try checkDeclaredDuration(format)

        let selection = selectStreams(format)
        guard selection.audio != nil || selection.video != nil else {
            throw MediaError(.noMediaStream, "the \(probe.container) container has no audio or video stream")
        }
        let audioIndex = options.decodeAudio ? selection.audio : nil
        let videoIndex = options.decodeVideo && options.videoFrameCount > 0 ? selection.video : nil
        let audioCodec = try audioIndex.map { try openDecoder(format, $0) }
        let videoCodec = try videoIndex.map { try openDecoder(format, $0) }

        let demuxed = try demux(format, audioIndex: audioIndex, videoIndex: videoIndex)
        if demuxed.audio.isEmpty && demuxed.video.isEmpty && (audioIndex != nil || videoIndex != nil) {
            let reason = demuxed.readStatus.map { LibAV.describe($0) } ?? "no packets"
            throw MediaError(.truncatedOrCorrupt, "no media data could be read: \(reason)")
        }

        var audio: AudioTrack?
        if let audioIndex, let audioCodec, !demuxed.audio.isEmpty {
            audio = try decodeAudio(demuxed.audio, codec: audioCodec, stream: format.pointee.streams[audioIndex]!)
        }
        var frames: [VideoFrame] = []
        var videoDuration = 0.0
        if let videoIndex, let videoCodec, !demuxed.video.isEmpty {
            let stream = format.pointee.streams[videoIndex]!
            videoDuration = demuxed.videoTiming.durationSeconds
            if videoDuration <= 0, stream.pointee.duration > 0 {
                videoDuration = LibAV.seconds(stream.pointee.duration, stream.pointee.time_base)
            }
            if videoDuration <= 0 { videoDuration = declaredDuration ?? 0 }
            frames = try decodeVideo(demuxed.video, codec: videoCodec, stream: stream,
                                     timing: demuxed.videoTiming, durationSeconds: videoDuration)
        }
        let requested = (audioIndex != nil && !demuxed.audio.isEmpty) || (videoIndex != nil && !demuxed.video.isEmpty)
        if requested && audio == nil && frames.isEmpty {
            throw MediaError(.decodeFailed, "no audio or video could be decoded")
        }

        let measured = max(audio?.durationSeconds ?? 0, videoDuration, demuxed.audioTiming.durationSeconds)
        return DecodedClip(
            container: probe.container,
            durationSeconds: measured > 0 ? measured : (declaredDuration ?? 0),
            audio: audio,
            frames: frames,
            hasVideoStream: selection.video != nil)
    }

    /// The `max_streams` of the second open that only counts the streams of a container whose
    /// first open hit the normal cap (each stream costs FFmpeg a few kB, so this stays small).
    static let streamCountingCap = 1024

    private func tooLargeError(_ count: Int) -> MediaError {
        MediaError(.tooLarge, "payload is \(count) bytes, limit is \(limits.maxBytes)")
    }
}

// MARK: - Declared properties

extension ClipDecoder {
    /// Longest measured duration that is still accepted.
    var durationCeiling: Double { limits.maxDurationSeconds + limits.durationSlackSeconds }

    func checkStreamCount(_ format: UnsafeMutablePointer<AVFormatContext>) throws {
        let count = Int(format.pointee.nb_streams)
        if count > limits.maxStreams {
            throw MediaError(.tooManyStreams, "\(count) streams, limit is \(limits.maxStreams)")
        }
    }

    func checkDeclaredResolutions(_ format: UnsafeMutablePointer<AVFormatContext>) throws {
        for i in 0..<Int(format.pointee.nb_streams) {
            guard let parameters = format.pointee.streams[i]?.pointee.codecpar?.pointee,
                  parameters.codec_type == AVMEDIA_TYPE_VIDEO else { continue }
            try checkResolution(width: Int(parameters.width), height: Int(parameters.height), what: "declared")
        }
    }

    func checkResolution(width: Int, height: Int, what: String) throws {
        if width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels {
            throw MediaError(.resolutionTooLarge,
                             "\(what) video size \(width)x\(height) exceeds \(limits.maxWidth)x\(limits.maxHeight) / \(limits.maxPixels) pixels")
        }
    }

    /// Checks the container's and streams' declared durations.
    /// - Returns: the container's declared duration in seconds, if it has one.
    func checkDeclaredDuration(_ format: UnsafeMutablePointer<AVFormatContext>) throws -> Double? {
        var declared: Double?
        if format.pointee.duration != LibAV.noTimestamp, format.pointee.duration > 0 {
            declared = Double(format.pointee.duration) / Double(AV_TIME_BASE)
        }
        var longest = declared ?? 0
        for i in 0..<Int(format.pointee.nb_streams) {
            guard let stream = format.pointee.streams[i] else { continue }
            if stream.pointee.duration != LibAV.noTimestamp, stream.pointee.duration > 0 {
                longest = max(longest, LibAV.seconds(stream.pointee.duration, stream.pointee.time_base))
            }
        }
        if longest > durationCeiling {
            throw MediaError(.tooLong, String(format: "declared duration %.1f s exceeds %.1f s", longest, limits.maxDurationSeconds))
        }
        return declared
    }

    /// The first audio stream and the first real video stream (cover art is not video).
    func selectStreams(_ format: UnsafeMutablePointer<AVFormatContext>) -> (audio: Int?, video: Int?) {
        var audio: Int?, video: Int?
        for i in 0..<Int(format.pointee.nb_streams) {
            guard let stream = format.pointee.streams[i], let parameters = stream.pointee.codecpar else { continue }
            switch parameters.pointee.codec_type {
            case AVMEDIA_TYPE_AUDIO where audio == nil:
                audio = i
            case AVMEDIA_TYPE_VIDEO where video == nil && stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0:
                video = i
            default:
                break
            }
        }
        for i in 0..<Int(format.pointee.nb_streams) where i != audio && i != video {
            // Unselected streams are dropped by the demuxer instead of being copied around.
            format.pointee.streams[i]?.pointee.discard = AVDISCARD_ALL
        }
        return (audio, video)
    }

    func openDecoder(_ format: UnsafeMutablePointer<AVFormatContext>, _ index: Int) throws -> CodecContext {
        let stream = format.pointee.streams[index]!
        let codecID = stream.pointee.codecpar.pointee.codec_id
        let codecName = String(cString: avcodec_get_name(codecID))
        guard let codec = avcodec_find_decoder(codecID) else {
            throw MediaError(.unsupportedCodec, "no decoder for codec '\(codecName)'")
        }
        let decoderName = String(cString: codec.pointee.name)
        if let allowed = limits.allowedCodecs, !allowed.contains(decoderName) {
            throw MediaError(.unsupportedCodec, "codec '\(codecName)' (decoder \(decoderName)) is not accepted")
        }
        return try CodecContext(stream: stream, codec: codec, threads: options.decoderThreads, maxPixels: limits.maxPixels)
    }
}
