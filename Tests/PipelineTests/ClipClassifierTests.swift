import Foundation
import Fusion
import XCTest
@testable import Pipeline

/// End-to-end behaviour of one clip through the real decoder, face detector and shipped models.
final class ClipClassifierTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static var samples: URL { root.appendingPathComponent("samples") }

    /// One classifier for the whole class: loading is cheap but not free.
    static let shared: Result<ClipClassifier, Error> = Result {
        try ClipClassifier(configuration: ClassifierConfiguration(modelsDirectory: root.appendingPathComponent("models").path))
    }

    func classifier() throws -> ClipClassifier {
        let modelURL = Self.root.appendingPathComponent("models").appendingPathComponent(ModelLocator.audioModelFileName)
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            throw XCTSkip("models/\(ModelLocator.audioModelFileName) is not trained yet")
        }
        return try Self.shared.get()
    }

    func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    func assertValidProbabilities(_ p: [String: Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(p.keys), Set(Emotion.allCases.map(\.rawValue)), file: file, line: line)
        XCTAssertEqual(p.values.reduce(0, +), 1, accuracy: 1e-4, file: file, line: line)
        XCTAssertTrue(p.values.allSatisfy { $0 >= 0 && $0.isFinite }, file: file, line: line)
    }

    func testAudioVisualClipUsesBothModalitiesAndFindsTheFace() throws {
        let c = try classifier()
        let event = try c.classify(try bytes(Self.samples.appendingPathComponent("01-01-07-02-02-01-01.mp4")),
                                   device: "cam", clipID: "av-1")
        XCTAssertEqual(event.fusion.modalitiesUsed, [.audio, .video])
        let video = try XCTUnwrap(event.modalities.video)
        XCTAssertEqual(video.frames, 22)
        XCTAssertGreaterThanOrEqual(video.facesFound, 20, "RAVDESS shows one frontal face in every frame")
        XCTAssertNotNil(event.modalities.audio)
        XCTAssertEqual(video.probabilities?[Emotion.calm.rawValue], 0, "the FER model has no calm")
        assertValidProbabilities(event.probabilities)
        XCTAssertEqual(event.emotion.rawValue, event.probabilities.max { $0.value < $1.value }!.key)
        XCTAssertEqual(event.device, "cam")
        XCTAssertEqual(event.clipID, "av-1")
        for stage in ["decode", "audio_features", "audio_model", "faces", "video_model", "fusion", "total"] {
            XCTAssertNotNil(event.latencyMS[stage], "latency of \(stage)")
        }
        XCTAssertNotNil(event.models["audio"])
        XCTAssertNotNil(event.models["video"])
    }

    func testVideoOnlyClipFallsBackToVideo() throws {
        let c = try classifier()
        let event = try c.classify(try bytes(Self.samples.appendingPathComponent("01-01-08-02-01-01-19.mp4")))
        XCTAssertNil(event.modalities.audio)
        XCTAssertEqual(event.fusion.modalitiesUsed, [.video])
        XCTAssertEqual(event.probabilities[Emotion.calm.rawValue], 0)
        XCTAssertEqual(event.emotion, event.modalities.video?.emotion)
        assertValidProbabilities(event.probabilities)
    }

    func testAudioOnlyFilesInEveryFormat() throws {
        let c = try classifier()
        for name in ["03-01-05-02-01-01-01.flac", "03-01-03-02-01-01-02.wav", "03-01-04-02-01-01-05.mp3"] {
            let event = try c.classify(try bytes(Self.samples.appendingPathComponent(name)))
            XCTAssertNil(event.modalities.video, name)
            XCTAssertEqual(event.fusion.modalitiesUsed, [.audio], name)
            XCTAssertEqual(event.emotion, event.modalities.audio?.emotion, name)
            assertValidProbabilities(event.probabilities)
        }
    }

    func testSameAudioGivesSameAnswerAcrossLosslessContainers() throws {
        // The WAV is the FLAC's samples re-encoded losslessly; features and output must agree.
        let c = try classifier()
        let flac = try c.classify(try bytes(ManifestlessFixture.shared("Actor_02/03-01-03-02-01-01-02.flac")))
        let wav = try c.classify(try bytes(Self.samples.appendingPathComponent("03-01-03-02-01-01-02.wav")))
        for e in Emotion.allCases {
            XCTAssertEqual(flac.probabilities[e.rawValue]!, wav.probabilities[e.rawValue]!, accuracy: 1e-4)
        }
    }

    func testClipWithoutAFaceSaysSoAndFallsBackToAudio() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/testpattern_with_speech", withExtension: "mp4"))
        let c = try classifier()
        let event = try c.classify(try bytes(url))
        let video = try XCTUnwrap(event.modalities.video)
        // The Haar cascade fires on the pattern's shapes in a frame or two; such sporadic hits
        // stay below the share of frames a real face gives and are not classified.
        XCTAssertLessThan(Double(video.facesFound), ClassifierConfiguration().minFaceFraction * Double(video.frames))
        XCTAssertNil(video.emotion)
        XCTAssertNil(video.probabilities)
        XCTAssertEqual(event.fusion.modalitiesUsed, [.audio])
        XCTAssertEqual(event.emotion, event.modalities.audio?.emotion)
    }

    func testSilenceWithoutVideoIsAClearError() throws {
        let c = try classifier()
        let silence = WAV.pcm16(samples: [Float](repeating: 0, count: 32000), sampleRate: 16000)
        XCTAssertThrowsError(try c.classify(silence)) { error in
            XCTAssertEqual((error as? PipelineError)?.code, "no_usable_signal")
            XCTAssertTrue("\(error)".contains("silent"), "\(error)")
        }
    }

    func testTruncatedAndTextFilesGiveMediaErrorCodes() throws {
        let c = try classifier()
        let mp4 = try bytes(Self.samples.appendingPathComponent("01-01-07-02-02-01-01.mp4"))
        // The moov box (the index) spans bytes 32..<5864 of this file: cutting inside it.
        XCTAssertThrowsError(try c.classify(Array(mp4.prefix(3000)))) { error in
            XCTAssertEqual((error as? PipelineError)?.code, "truncated_or_corrupt", "\(error)")
        }
        XCTAssertThrowsError(try c.classify(Array("just some text, not media\n".utf8))) { error in
            XCTAssertEqual((error as? PipelineError)?.code, "unsupported_container", "\(error)")
        }
        XCTAssertThrowsError(try c.classify([])) { error in
            XCTAssertEqual((error as? PipelineError)?.code, "empty_payload", "\(error)")
        }
    }

    func testMissingModelIsASetupErrorNamingTheFile() {
        XCTAssertThrowsError(try ClipClassifier(configuration: .init(audioModelPath: "/nonexistent/audio.safetensors"))) { error in
            XCTAssertEqual((error as? PipelineError)?.code, "setup")
            XCTAssertTrue("\(error)".contains("/nonexistent/audio.safetensors"), "\(error)")
        }
    }
}

/// Clips from ../shared/data/ravdess-speech, skipping when the folder is absent.
enum ManifestlessFixture {
    static func shared(_ relative: String) throws -> URL {
        let url = ClipClassifierTests.root.appendingPathComponent("../shared/data/ravdess-speech").appendingPathComponent(relative).standardized
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("\(url.path) not present") }
        return url
    }
}

/// A minimal WAV writer for synthetic test signals.
enum WAV {
    static func pcm16(samples: [Float], sampleRate: Int) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        out += Array("RIFF".utf8); u32(UInt32(36 + samples.count * 2)); out += Array("WAVEfmt ".utf8)
        u32(16); u16(1); u16(1); u32(UInt32(sampleRate)); u32(UInt32(sampleRate * 2)); u16(2); u16(16)
        out += Array("data".utf8); u32(UInt32(samples.count * 2))
        for s in samples { u16(UInt16(bitPattern: Int16(max(-1, min(1, s)) * 32767))) }
        return out
    }
}
