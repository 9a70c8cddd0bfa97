import Foundation
import XCTest
@testable import Media

/// Every accepted container decodes to the expected audio and frames.
final class ClipDecoderContainerTests: XCTestCase {
    let decoder = ClipDecoder()

    /// Common checks for the 2 s, 320x240, 25 fps test pattern with a 440 Hz tone.
    private func assertTwoSecondAVClip(_ name: String, container: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let clip = try decoder.decode(try MediaFixtures.bytes(name))
        XCTAssertEqual(clip.container, container, file: file, line: line)
        XCTAssertTrue(clip.hasVideoStream, file: file, line: line)
        XCTAssertEqual(clip.durationSeconds, 2.0, accuracy: 0.15, file: file, line: line)

        let audio = try XCTUnwrap(clip.audio, file: file, line: line)
        XCTAssertEqual(audio.sampleRate, 16_000, file: file, line: line)
        XCTAssertEqual(audio.durationSeconds, 2.0, accuracy: 0.15, file: file, line: line)
        XCTAssertEqual(Double(audio.samples.count) / 16_000, audio.durationSeconds, accuracy: 0.02, file: file, line: line)
        // Skip codec start-up; the tone must still be 440 Hz after decoding and resampling.
        let middle = audio.samples[4_000..<28_000]
        XCTAssertEqual(MediaFixtures.dominantFrequency(middle, sampleRate: 16_000), 440, accuracy: 5, file: file, line: line)
        XCTAssertGreaterThan(MediaFixtures.rms(middle), 0.05, file: file, line: line)

        XCTAssertEqual(clip.frames.count, 22, file: file, line: line)
        for frame in clip.frames {
            // 320x240 is below the 640 cap: never upscaled.
            XCTAssertEqual(frame.width, 320, file: file, line: line)
            XCTAssertEqual(frame.height, 240, file: file, line: line)
            XCTAssertEqual(frame.rgb.count, 320 * 240 * 3, file: file, line: line)
        }
        assertEvenlySpaced(clip.frames, duration: 2.0, frameInterval: 0.04, file: file, line: line)
        // testsrc2 moves: consecutive picked frames differ.
        XCTAssertNotEqual(clip.frames[0].rgb, clip.frames[21].rgb, file: file, line: line)
    }

    /// Timestamps increase and sit within one frame interval of the centres of 22 equal slices.
    private func assertEvenlySpaced(_ frames: [VideoFrame], duration: Double, frameInterval: Double,
                                    file: StaticString = #filePath, line: UInt = #line) {
        let step = duration / Double(frames.count)
        for (i, frame) in frames.enumerated() {
            XCTAssertEqual(frame.timestamp, (Double(i) + 0.5) * step, accuracy: frameInterval * 0.51 + 1e-6,
                           "frame \(i)", file: file, line: line)
            if i > 0 { XCTAssertGreaterThan(frame.timestamp, frames[i - 1].timestamp, file: file, line: line) }
        }
    }

    func testMP4WithMoovFirstDecodesAudioAndTwentyTwoFrames() throws {
        try assertTwoSecondAVClip("av_faststart.mp4", container: "mp4")
    }

    func testMP4WithMoovAtTheEndDecodesFromMemory() throws {
        try assertTwoSecondAVClip("av_moov_end.mp4", container: "mp4")
    }

    func testFragmentedMP4Decodes() throws {
        try assertTwoSecondAVClip("av_fragmented.mp4", container: "mp4")
    }

    func testMatroskaWithMPEG4AndFLACDecodes() throws {
        try assertTwoSecondAVClip("av_mpeg4_flac.mkv", container: "matroska")
    }

    func testWebMWithVP9AndOpusDecodes() throws {
        try assertTwoSecondAVClip("av_vp9_opus.webm", container: "webm")
    }

    func testWebMWithVP8AndVorbisDecodes() throws {
        try assertTwoSecondAVClip("av_vp8_vorbis.webm", container: "webm")
    }

    func testMPEGTSDecodes() throws {
        try assertTwoSecondAVClip("av_h264_aac.ts", container: "mpegts")
    }

    /// Audio-only files: tone, duration and rate; no frames and no video stream.
    private func assertAudioOnly(_ name: String, container: String, duration: Double, frequency: Double,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let clip = try decoder.decode(try MediaFixtures.bytes(name))
        XCTAssertEqual(clip.container, container, file: file, line: line)
        XCTAssertFalse(clip.hasVideoStream, file: file, line: line)
        XCTAssertTrue(clip.frames.isEmpty, file: file, line: line)
        let audio = try XCTUnwrap(clip.audio, file: file, line: line)
        XCTAssertEqual(audio.sampleRate, 16_000, file: file, line: line)
        XCTAssertEqual(audio.durationSeconds, duration, accuracy: 0.1, file: file, line: line)
        XCTAssertEqual(clip.durationSeconds, duration, accuracy: 0.1, file: file, line: line)
        XCTAssertEqual(Double(audio.samples.count), duration * 16_000, accuracy: 0.1 * 16_000, file: file, line: line)
        let middle = audio.samples[2_000..<(audio.samples.count - 2_000)]
        XCTAssertEqual(MediaFixtures.dominantFrequency(middle, sampleRate: 16_000), frequency, accuracy: frequency * 0.01,
                       file: file, line: line)
    }

    func testOggVorbisDecodes() throws {
        try assertAudioOnly("audio_vorbis.ogg", container: "ogg", duration: 2, frequency: 440)
    }

    func testOggOpusDecodes() throws {
        try assertAudioOnly("audio_opus.ogg", container: "ogg", duration: 2, frequency: 440)
    }

    func testStereoWAVIsDownmixedAndResampled() throws {
        try assertAudioOnly("audio_stereo_1khz.wav", container: "wav", duration: 1, frequency: 1000)
        // Both channels carry the same tone: the mono mix keeps its amplitude (ffmpeg's sine is 1/8 FS).
        let audio = try XCTUnwrap(try decoder.decode(try MediaFixtures.bytes("audio_stereo_1khz.wav")).audio)
        XCTAssertEqual(MediaFixtures.rms(audio.samples[1_000..<15_000]), Float(0.125 / 2.0.squareRoot()), accuracy: 0.01)
    }

    func testFLACDecodes() throws {
        try assertAudioOnly("audio_sine.flac", container: "flac", duration: 1.5, frequency: 440)
    }

    func testMP3Decodes() throws {
        try assertAudioOnly("audio_sine.mp3", container: "mp3", duration: 2, frequency: 440)
    }

    func testM4AAudioOnlyMP4Decodes() throws {
        try assertAudioOnly("audio_aac.m4a", container: "mp4", duration: 1, frequency: 440)
    }

    func testCoverArtInMP3IsNotVideo() throws {
        try assertAudioOnly("audio_with_cover.mp3", container: "mp3", duration: 1, frequency: 440)
    }

    /// One decoder value used from two threads at once gives the same results as sequentially.
    func testConcurrentDecodesAreIndependent() throws {
        let names = ["av_faststart.mp4", "av_vp9_opus.webm", "av_h264_aac.ts", "audio_sine.flac", "audio_opus.ogg", "video_360x120.mp4"]
        let inputs = try names.map { try MediaFixtures.bytes($0) }
        let expected = try inputs.map { try decoder.decode($0) }
        let results = ResultBox(count: inputs.count * 2)
        DispatchQueue.concurrentPerform(iterations: inputs.count * 2) { i in
            results.set(i, Result { try decoder.decode(inputs[i % inputs.count]) })
        }
        for i in 0..<inputs.count * 2 {
            XCTAssertEqual(try results.get(i).get(), expected[i % inputs.count], names[i % inputs.count])
        }
    }

    func testConfigurableOutputSampleRate() throws {
        let decoder = ClipDecoder(options: DecodeOptions(audioSampleRate: 8_000))
        let audio = try XCTUnwrap(try decoder.decode(try MediaFixtures.bytes("audio_sine.flac")).audio)
        XCTAssertEqual(audio.sampleRate, 8_000)
        XCTAssertEqual(Double(audio.samples.count), 1.5 * 8_000, accuracy: 400)
        XCTAssertEqual(MediaFixtures.dominantFrequency(audio.samples[1_000..<11_000], sampleRate: 8_000), 440, accuracy: 5)
    }

    func testVideoOnlyShortClipYieldsAllItsFramesScaledToFit() throws {
        let clip = try decoder.decode(try MediaFixtures.bytes("video_only_portrait.mp4"))
        XCTAssertNil(clip.audio)
        XCTAssertTrue(clip.hasVideoStream)
        XCTAssertEqual(clip.durationSeconds, 1.0, accuracy: 0.1)
        // 12 frames only, fewer than 22: all of them, in order, 1/12 s apart.
        XCTAssertEqual(clip.frames.count, 12)
        for (i, frame) in clip.frames.enumerated() {
            XCTAssertEqual(frame.width, 360)   // 540x960 scaled so the longer side is 640
            XCTAssertEqual(frame.height, 640)
            XCTAssertEqual(frame.timestamp, Double(i) / 12, accuracy: 1e-3)
        }
    }

    /// Regression: swscale's unscaled YUV->RGB path writes whole SIMD blocks past the end of a
    /// 360-pixel row; an unpadded RGB buffer corrupted the heap on the last row.
    func testWidthThatIsNotAMultipleOfSixteenConvertsSafely() throws {
        let bytes = try MediaFixtures.bytes("video_360x120.mp4")
        for _ in 0..<5 {
            let clip = try decoder.decode(bytes)
            XCTAssertEqual(clip.frames.count, 10)
            XCTAssertTrue(clip.frames.allSatisfy { $0.width == 360 && $0.height == 120 && $0.rgb.count == 360 * 120 * 3 })
        }
    }

    /// Dropping non-reference frames must not change which frames come back, nor their pixels.
    func testSkippingNonReferenceFramesGivesTheSameFramesAsAFullDecode() throws {
        let full = ClipDecoder(options: DecodeOptions(decodeAudio: false, skipNonReferenceFrames: false))
        let fast = ClipDecoder(options: DecodeOptions(decodeAudio: false, skipNonReferenceFrames: true))
        for name in ["av_faststart.mp4", "av_moov_end.mp4", "av_fragmented.mp4", "av_mpeg4_flac.mkv",
                     "av_vp9_opus.webm", "av_vp8_vorbis.webm", "av_h264_aac.ts", "video_only_portrait.mp4"] {
            let bytes = try MediaFixtures.bytes(name)
            XCTAssertEqual(try fast.decode(bytes).frames, try full.decode(bytes).frames, name)
        }
        for count in [5, 7, 13, 23, 40] {
            let bytes = try MediaFixtures.bytes("av_faststart.mp4")
            var options = DecodeOptions(videoFrameCount: count, decodeAudio: false, skipNonReferenceFrames: false)
            let reference = try ClipDecoder(options: options).decode(bytes).frames
            options.skipNonReferenceFrames = true
            XCTAssertEqual(try ClipDecoder(options: options).decode(bytes).frames, reference, "\(count) frames")
            XCTAssertEqual(reference.count, min(count, 50))
        }
    }

    func testDownscaleKeepsAspectRatioForLandscape() throws {
        let decoder = ClipDecoder(options: DecodeOptions(videoFrameCount: 5, maxFrameSide: 160))
        let clip = try decoder.decode(try MediaFixtures.bytes("av_faststart.mp4"))
        XCTAssertEqual(clip.frames.count, 5)
        XCTAssertTrue(clip.frames.allSatisfy { $0.width == 160 && $0.height == 120 && $0.rgb.count == 160 * 120 * 3 })
        assertEvenlySpaced(clip.frames, duration: 2.0, frameInterval: 0.04)
    }

    func testDisablingAModalitySkipsIt() throws {
        let bytes = try MediaFixtures.bytes("av_faststart.mp4")
        let audioOnly = try ClipDecoder(options: DecodeOptions(decodeVideo: false)).decode(bytes)
        XCTAssertTrue(audioOnly.frames.isEmpty)
        XCTAssertNotNil(audioOnly.audio)
        XCTAssertTrue(audioOnly.hasVideoStream)
        let videoOnly = try ClipDecoder(options: DecodeOptions(decodeAudio: false)).decode(bytes)
        XCTAssertNil(videoOnly.audio)
        XCTAssertEqual(videoOnly.frames.count, 22)
        // Zero frames requested is the same as no video.
        let noFrames = try ClipDecoder(options: DecodeOptions(videoFrameCount: 0, decodeAudio: false)).decode(try MediaFixtures.bytes("video_only_portrait.mp4"))
        XCTAssertTrue(noFrames.frames.isEmpty)
        XCTAssertTrue(noFrames.hasVideoStream)
    }

    func testDataOverloadMatchesBytes() throws {
        let bytes = try MediaFixtures.bytes("audio_sine.flac")
        XCTAssertEqual(try decoder.decode(Data(bytes)), try decoder.decode(bytes))
    }

    /// Pixel parity with the ffmpeg CLI: quadrant means of frame 1 (t = 0.04 s) of
    /// av_faststart.mp4 from `ffmpeg -vf "select=eq(n\,1)" -pix_fmt rgb24 -f rawvideo`.
    func testRGBMatchesTheFFmpegCLI() throws {
        let frame = try XCTUnwrap(try decoder.decode(try MediaFixtures.bytes("av_faststart.mp4")).frames.first)
        XCTAssertEqual(frame.timestamp, 0.04, accuracy: 1e-6)
        let reference: [[Double]] = [[146.50, 152.86, 8.06], [84.39, 87.49, 251.02], [170.04, 165.97, 2.49], [82.83, 86.52, 242.71]]
        for quadrant in 0..<4 {
            let (qy, qx) = (quadrant / 2, quadrant % 2)
            var sums = [0.0, 0.0, 0.0]
            for y in (qy * 120)..<((qy + 1) * 120) {
                for x in (qx * 160)..<((qx + 1) * 160) {
                    for c in 0..<3 { sums[c] += Double(frame.rgb[(y * 320 + x) * 3 + c]) }
                }
            }
            for c in 0..<3 {
                XCTAssertEqual(sums[c] / (120 * 160), reference[quadrant][c], accuracy: 1.5, "quadrant \(quadrant) channel \(c)")
            }
        }
    }

    func testTestPatternColoursSurviveConversion() throws {
        // testsrc2's frame is mostly saturated colour bars: the RGB must not be grey or empty.
        let frame = try XCTUnwrap(try decoder.decode(try MediaFixtures.bytes("av_faststart.mp4")).frames.first)
        var distinct = Set<[UInt8]>()
        for offset in stride(from: 0, to: frame.rgb.count, by: 3 * 97) {
            distinct.insert(Array(frame.rgb[offset..<offset + 3]))
        }
        XCTAssertGreaterThan(distinct.count, 10)
    }
}

/// Collects results written from concurrent iterations.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<DecodedClip, Error>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ result: Result<DecodedClip, Error>) { lock.withLock { results[i] = result } }
    func get(_ i: Int) -> Result<DecodedClip, Error> { lock.withLock { results[i]! } }
}
