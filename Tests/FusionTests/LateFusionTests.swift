import XCTest
@testable import Fusion

final class LateFusionTests: XCTestCase {
    func testAveragesSupportedClassesAndRenormalises() throws {
        // Audio: 8 classes. Video: no "calm" (index 1), like the FER2013 model.
        var a = [Float](repeating: 0.05, count: 8); a[1] = 0.45; a[2] = 0.2
        var v = [Float](repeating: 0, count: 8); v[2] = 0.7; v[0] = 0.3
        var mask = [Bool](repeating: true, count: 8); mask[1] = false
        let fused = try XCTUnwrap(LateFusion.fuse([
            ModalityPrediction(modality: .audio, probabilities: a, modelID: "a"),
            ModalityPrediction(modality: .video, probabilities: v, supported: mask, modelID: "v"),
        ]))
        // calm comes from audio alone (0.45); happy is the mean (0.2 + 0.7) / 2 = 0.45 before renormalising.
        let raw: [Float] = [(0.05 + 0.3) / 2, 0.45, 0.45, 0.025, 0.025, 0.025, 0.025, 0.025]
        let total = raw.reduce(0, +)
        for i in 0..<8 { XCTAssertEqual(fused.probabilities[i], raw[i] / total, accuracy: 1e-6) }
        XCTAssertEqual(fused.probabilities.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(fused.modalities, [.audio, .video])
    }

    func testSingleModalityPassesThrough() throws {
        var v = [Float](repeating: 0, count: 8); v[7] = 0.9; v[0] = 0.1
        var mask = [Bool](repeating: true, count: 8); mask[1] = false
        let fused = try XCTUnwrap(LateFusion.fuse([
            ModalityPrediction(modality: .video, probabilities: v, supported: mask, modelID: "v")]))
        XCTAssertEqual(fused.emotion, .surprised)
        XCTAssertEqual(fused.confidence, 0.9, accuracy: 1e-6)
        XCTAssertEqual(fused.probabilities[Emotion.calm.index], 0)
    }

    func testNothingToFuse() {
        XCTAssertNil(LateFusion.fuse([]))
    }

    func testLabelsFollowRavdessOrder() {
        XCTAssertEqual(Emotion.allCases.map(\.rawValue),
                       ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"])
        XCTAssertEqual(Emotion(ravdessID: 8), .surprised)
        XCTAssertEqual(Emotion(label: "Fear"), .fearful)
        XCTAssertNil(Emotion(label: "bored"))
    }

    func testEventRoundTripsThroughJSONWithSnakeCaseKeys() throws {
        var p = [Float](repeating: 0, count: 8); p[3] = 1
        let fused = FusedPrediction(probabilities: p, modalities: [.audio])
        let event = EmotionEvent(
            device: "kitchen", clipID: "c1", capturedAt: Date(timeIntervalSince1970: 1_700_000_000.25),
            processedAt: Date(timeIntervalSince1970: 1_700_000_001), fused: fused,
            modalities: .init(audio: .init(emotion: .sad, confidence: 1, probabilities: Emotion.named(p), durationS: 3.2)),
            models: ["audio": "m"], latencyMS: ["total": 12.5])
        let data = try EmotionEvent.makeEncoder().encode(event)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"clip_id\":\"c1\""))
        XCTAssertTrue(text.contains("\"captured_at\":\"2023-11-14T22:13:20.250Z\""))
        XCTAssertTrue(text.contains("\"modalities_used\":[\"audio\"]"))
        let back = try EmotionEvent.makeDecoder().decode(EmotionEvent.self, from: data)
        XCTAssertEqual(back, event)
    }
}
