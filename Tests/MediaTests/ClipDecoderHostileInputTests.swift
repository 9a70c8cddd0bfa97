import Foundation
import XCTest
@testable import Media

/// Hostile or broken payloads: each gets the right typed error, and nothing crashes.
final class ClipDecoderHostileInputTests: XCTestCase {
    let decoder = ClipDecoder()

    func testEmptyPayloadIsRejected() {
        XCTAssertMediaError(.emptyPayload, try decoder.decode([UInt8]()))
        XCTAssertMediaError(.emptyPayload, try decoder.decode(Data()))
    }

    func testRandomBytesAreNotAContainer() {
        var generator = SeededGenerator(seed: 42)
        for size in [1, 17, 4_096, 200_000] {
            let noise = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            XCTAssertMediaError(.unsupportedContainer, try decoder.decode(noise))
        }
    }

    func testTextIsNotAContainer() {
        let text = Array(String(repeating: "{\"emotion\": \"happy\", \"note\": \"not a video\"}\n", count: 50).utf8)
        XCTAssertMediaError(.unsupportedContainer, try decoder.decode(text))
    }

    func testMP4CutBeforeItsMoovAtomIsTruncated() throws {
        let bytes = try MediaFixtures.bytes("av_moov_end.mp4")
        XCTAssertMediaError(.truncatedOrCorrupt, try decoder.decode(Array(bytes.prefix(bytes.count * 6 / 10))))
    }

    func testMP4CutInsideItsMediaDataDecodesWhatArrivedOrFailsTyped() throws {
        let bytes = try MediaFixtures.bytes("av_faststart.mp4")
        for fraction in [3, 5, 8] {
            do {
                let clip = try decoder.decode(Array(bytes.prefix(bytes.count * fraction / 10)))
                XCTAssertLessThanOrEqual(clip.frames.count, 22)
            } catch let error as MediaError {
                XCTAssertTrue([.truncatedOrCorrupt, .decodeFailed].contains(error.code), "\(error)")
            }
        }
    }

    func testOversizePayloadIsRejectedBeforeDecoding() throws {
        let bytes = try MediaFixtures.bytes("av_faststart.mp4")
        XCTAssertMediaError(.tooLarge, try ClipDecoder(limits: DecodeLimits(maxBytes: bytes.count - 1)).decode(bytes))
        // 33 MiB of zeros against the default 32 MiB limit: refused without parsing (fast).
        let started = Date()
        XCTAssertMediaError(.tooLarge, try decoder.decode([UInt8](repeating: 0, count: 33 << 20)))
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
    }

    func testDeclaredDurationOverTheLimitIsTooLong() throws {
        let tight = ClipDecoder(limits: DecodeLimits(maxDurationSeconds: 1, durationSlackSeconds: 0.1))
        XCTAssertMediaError(.tooLong, try tight.decode(try MediaFixtures.bytes("av_faststart.mp4")))
        XCTAssertMediaError(.tooLong, try tight.decode(try MediaFixtures.bytes("av_h264_aac.ts")))
        XCTAssertMediaError(.tooLong, try tight.decode(try MediaFixtures.bytes("audio_sine.mp3")))
    }

    func testMP4HeaderClaimingAnHourIsTooLongWithDefaultLimits() throws {
        var bytes = try MediaFixtures.bytes("av_faststart.mp4")
        // mvhd (version 0): size, "mvhd", version+flags, created, modified, timescale, duration.
        let mvhd = try XCTUnwrap(find(Array("mvhd".utf8), in: bytes))
        let timescale = readBigEndian(bytes, at: mvhd + 16)
        writeBigEndian(timescale * 3600, into: &bytes, at: mvhd + 20)
        XCTAssertMediaError(.tooLong, try decoder.decode(bytes))
    }

    func testDurationBeyondWhatTheHeaderDeclaresIsCaughtWhileReading() throws {
        var bytes = try MediaFixtures.bytes("av_mpeg4_flac.mkv")
        // Matroska Segment Info Duration (EBML ID 0x4489, 8-byte float, in ms): claim 0.5 s for a 2 s clip.
        let element = try XCTUnwrap(find([0x44, 0x89, 0x88], in: bytes))
        let claimed = (500.0 as Double).bitPattern
        for i in 0..<8 { bytes[element + 3 + i] = UInt8(truncatingIfNeeded: claimed >> (8 * UInt64(7 - i))) }
        let tight = ClipDecoder(limits: DecodeLimits(maxDurationSeconds: 1, durationSlackSeconds: 0.1))
        do {
            _ = try tight.decode(bytes)
            XCTFail("expected too_long")
        } catch let error as MediaError {
            XCTAssertEqual(error.code, .tooLong)
            XCTAssertTrue(error.message.contains("runs longer"), "caught by the header check instead: \(error)")
        }
        // The same lie within the limits decodes, and the measured duration wins.
        XCTAssertEqual(try decoder.decode(bytes).durationSeconds, 2.0, accuracy: 0.1)
    }

    func testFrameCountBeyondTheLimitIsTooLong() throws {
        // maxFrameRate 10 over 1.5 s allows 15 frames; the clip has 50.
        let limits = DecodeLimits(maxDurationSeconds: 1, durationSlackSeconds: 1.5, maxFrameRate: 10)
        XCTAssertEqual(limits.maxVideoFrames, 25)
        XCTAssertMediaError(.tooLong, try ClipDecoder(limits: limits).decode(try MediaFixtures.bytes("av_fragmented.mp4")))
    }

    func testResolutionOverTheLimitsIsRejected() throws {
        let bytes = try MediaFixtures.bytes("av_faststart.mp4")
        XCTAssertMediaError(.resolutionTooLarge, try ClipDecoder(limits: DecodeLimits(maxWidth: 319)).decode(bytes))
        XCTAssertMediaError(.resolutionTooLarge, try ClipDecoder(limits: DecodeLimits(maxHeight: 200)).decode(bytes))
        XCTAssertMediaError(.resolutionTooLarge, try ClipDecoder(limits: DecodeLimits(maxPixels: 320 * 240 - 1)).decode(bytes))
        XCTAssertNoThrow(try ClipDecoder(limits: DecodeLimits(maxWidth: 320, maxHeight: 240, maxPixels: 320 * 240)).decode(bytes))
        // Also for streams whose size is only known after probing (MPEG-TS, WebM).
        let ts = try MediaFixtures.bytes("av_h264_aac.ts")
        XCTAssertMediaError(.resolutionTooLarge, try ClipDecoder(limits: DecodeLimits(maxWidth: 100)).decode(ts))
    }

    /// The header says 160x120; the stream switches to 320x240 halfway. Only the per-frame check
    /// can see that.
    func testResolutionGrowingMidStreamIsCaughtWhileDecoding() throws {
        let bytes = try MediaFixtures.bytes("resolution_change.ts")
        let sizes = Set(try decoder.decode(bytes).frames.map { "\($0.width)x\($0.height)" })
        XCTAssertEqual(sizes, ["160x120", "320x240"])
        do {
            _ = try ClipDecoder(limits: DecodeLimits(maxWidth: 200)).decode(bytes)
            XCTFail("expected resolution_too_large")
        } catch let error as MediaError {
            XCTAssertEqual(error.code, .resolutionTooLarge)
            XCTAssertTrue(error.message.hasPrefix("decoded"), "caught by the header check instead: \(error)")
        }
    }

    func testTooManyStreamsIsRejected() throws {
        let bytes = try MediaFixtures.bytes("ten_audio_streams.mka")
        XCTAssertMediaError(.tooManyStreams, try decoder.decode(bytes))
        // Within a raised limit the first audio stream is decoded.
        let clip = try ClipDecoder(limits: DecodeLimits(maxStreams: 10)).decode(bytes)
        XCTAssertEqual(try XCTUnwrap(clip.audio).durationSeconds, 0.2, accuracy: 0.05)
    }

    /// Regression (issue 6): the Matroska and MP4 demuxers report a stream refused by FFmpeg's
    /// `max_streams` as ENOMEM, which came out as `truncated_or_corrupt`. The fixture is
    /// `crafted-300-streams` of Tests/DaemonTests/HostileMedia.swift (written by
    /// Tests/TestSupport/MatroskaBuilder.swift): 1 s of PCM tone, a 640x480 H.264 track and
    /// 298 more PCM tracks.
    func testHundredsOfDeclaredStreamsAreTooManyStreamsNotCorrupt() throws {
        let bytes = try MediaFixtures.bytes("three_hundred_streams.mka")
        do {
            _ = try decoder.decode(bytes)
            XCTFail("expected too_many_streams")
        } catch let error as MediaError {
            XCTAssertEqual(error.code, .tooManyStreams, "\(error)")
            XCTAssertTrue(error.message.hasPrefix("300 streams"), error.message)
        }
        // The file itself is sound: with the limit raised, the first track decodes.
        let clip = try ClipDecoder(limits: DecodeLimits(maxStreams: 300)).decode(bytes)
        XCTAssertEqual(try XCTUnwrap(clip.audio).durationSeconds, 1.0, accuracy: 0.02)
    }

    func testContainersOutsideTheWhitelistAreUnsupported() throws {
        for name in ["unsupported.avi", "image.png", "image.gif"] {
            XCTAssertMediaError(.unsupportedContainer, try decoder.decode(try MediaFixtures.bytes(name)))
        }
    }

    func testCodecOutsideTheWhitelistIsUnsupported() throws {
        let audioOnlyCodecs = ClipDecoder(limits: DecodeLimits(allowedCodecs: ["aac"]))
        XCTAssertMediaError(.unsupportedCodec, try audioOnlyCodecs.decode(try MediaFixtures.bytes("av_faststart.mp4")))
        // With video decoding off, the H.264 stream is not touched and AAC is allowed.
        let audioOnly = ClipDecoder(limits: DecodeLimits(allowedCodecs: ["aac"]), options: DecodeOptions(decodeVideo: false))
        XCTAssertNotNil(try audioOnly.decode(try MediaFixtures.bytes("av_faststart.mp4")).audio)
    }

    func testContainerWithoutAudioOrVideoHasNoMediaStream() throws {
        XCTAssertMediaError(.noMediaStream, try decoder.decode(try MediaFixtures.bytes("subtitles_only.mkv")))
    }

    /// Flipped bytes and cuts at many offsets across containers: a result or a typed error.
    /// `MEDIA_FUZZ_ROUNDS=200` (and `MALLOC_CHECK_=3`) runs a longer soak locally.
    func testCorruptedPayloadsNeverCrash() throws {
        let rounds = ProcessInfo.processInfo.environment["MEDIA_FUZZ_ROUNDS"].flatMap(Int.init) ?? 6
        var generator = SeededGenerator(seed: UInt64(7 + rounds))
        for name in ["av_faststart.mp4", "av_moov_end.mp4", "av_fragmented.mp4", "av_mpeg4_flac.mkv", "av_vp9_opus.webm",
                     "av_vp8_vorbis.webm", "av_h264_aac.ts", "audio_vorbis.ogg", "audio_opus.ogg", "audio_sine.flac",
                     "audio_sine.mp3", "audio_stereo_1khz.wav", "audio_aac.m4a", "video_360x120.mp4"] {
            let original = try MediaFixtures.bytes(name)
            for round in 0..<rounds {
                var bytes = original
                if round % 2 == 0 {
                    for _ in 0..<(1 + (round % 10) * 8) {
                        bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                    }
                } else {
                    bytes = Array(bytes.prefix(Int.random(in: 1..<bytes.count, using: &generator)))
                }
                do {
                    let clip = try decoder.decode(bytes)
                    XCTAssertLessThanOrEqual(clip.frames.count, 22)
                    XCTAssertTrue(clip.frames.allSatisfy { $0.rgb.count == $0.width * $0.height * 3 })
                } catch is MediaError {
                    // Typed rejection is fine.
                }
            }
        }
    }

    func testErrorCodesAreTheStableMQTTStrings() {
        XCTAssertEqual(MediaError.Code.allCases.map(\.rawValue), [
            "empty_payload", "too_large", "unsupported_container", "unsupported_codec", "no_media_stream",
            "too_many_streams", "resolution_too_large", "too_long", "truncated_or_corrupt", "decode_failed", "internal",
        ])
        XCTAssertEqual(MediaError(.tooLong, "x").description, "too_long: x")
    }

    // MARK: helpers

    private func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle }
    }

    private func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private func writeBigEndian(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(3 - i))) }
    }
}

/// SplitMix64: reproducible "random" inputs.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
