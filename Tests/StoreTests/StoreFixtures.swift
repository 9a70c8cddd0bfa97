import Foundation
import Fusion
@testable import Store

/// A fresh temp directory per test, and reproducible synthetic results.
final class TempDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// SplitMix64: deterministic test data without Foundation's unseeded generators.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum StoreFixtures {
    /// 2026-11-25 22:00:00 UTC: results spread from here cross a day boundary.
    static let origin = Date(timeIntervalSince1970: 1_795_644_000)

    /// A softmax-like vector peaked at `emotion`.
    static func probabilities(peak emotion: Emotion, _ rng: inout SeededGenerator) -> [Float] {
        var p = (0..<Emotion.count).map { _ in Float.random(in: 0.01...0.1, using: &rng) }
        p[emotion.index] = Float.random(in: 0.5...0.9, using: &rng)
        let sum = p.reduce(0, +)
        return p.map { $0 / sum }
    }

    static func result(device: String, clip: String, at date: Date, emotion: Emotion, modalities: ModalitySet = .both,
                       latency: Double = 100, _ rng: inout SeededGenerator) -> StoredResult {
        StoredResult(device: device, clipID: clip, capturedAt: date, processedAt: date.addingTimeInterval(0.3),
                     emotion: emotion, probabilities: probabilities(peak: emotion, &rng), modalities: modalities, latencyMS: latency)
    }

    /// `count` results for `device`, one every `spacing` seconds from `start`.
    static func series(device: String, count: Int, start: Date = origin, spacing: TimeInterval = 37, seed: UInt64 = 1) -> [StoredResult] {
        var rng = SeededGenerator(seed: seed)
        let modalities: [ModalitySet] = [.audio, .video, .both]
        return (0..<count).map { i in
            let e = Emotion(index: Int(rng.next() % 8))!
            return result(device: device, clip: "\(device)-\(seed)-\(i)", at: start.addingTimeInterval(Double(i) * spacing),
                          emotion: e, modalities: modalities[Int(rng.next() % 3)], latency: Double(50 + rng.next() % 200), &rng)
        }
    }
}
