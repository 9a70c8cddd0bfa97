import Foundation
import XCTest
@testable import Audio

final class AudioAugmenterTests: XCTestCase {
    private let sampleRate = 16000

    /// The added noise is measured back as (output - input) and must give the requested SNR.
    func testNoiseHasRequestedSNR() throws {
        var augmenter = try AudioAugmenter(seed: 7)
        let clean = TestSignals.sine(frequency: 300, amplitude: 0.3, seconds: 1)
        for snr in [-5.0, 0, 10, 20, 40] {
            let noisy = try augmenter.addingNoise(to: clean, snrDB: snr)
            XCTAssertEqual(noisy.count, clean.count)
            let noise = zip(noisy, clean).map { $0 - $1 }
            let measured = 10 * log10(AudioSignal.meanSquare(clean) / AudioSignal.meanSquare(noise))
            XCTAssertEqual(measured, snr, accuracy: 0.5, "requested \(snr) dB")
        }
    }

    /// The noise is zero-mean Gaussian and white (neighbouring samples uncorrelated).
    func testNoiseIsWhiteAndZeroMean() throws {
        var augmenter = try AudioAugmenter(seed: 3)
        let clean = [Float](repeating: 0.1, count: 40000)
        let noise = zip(try augmenter.addingNoise(to: clean, snrDB: 0), clean).map { Double($0 - $1) }
        let mean = noise.reduce(0, +) / Double(noise.count)
        let variance = noise.reduce(0) { $0 + $1 * $1 } / Double(noise.count)
        let lag1 = zip(noise, noise.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 } / Double(noise.count - 1) / variance
        XCTAssertEqual(mean, 0, accuracy: 4 * (variance / 40000).squareRoot())
        XCTAssertEqual(lag1, 0, accuracy: 0.03)
    }

    func testSameSeedGivesSameOutputAndOtherSeedDiffers() throws {
        let clip = TestSignals.sine(frequency: 500, seconds: 0.5)
        var a = try AudioAugmenter(seed: 42), b = try AudioAugmenter(seed: 42), c = try AudioAugmenter(seed: 43)
        let plan: [AudioAugmentation] = [.noise(snrDB: 15), .pitch(semitones: 2), .noiseAndPitch(snrDB: 10, semitones: -3)]
        for augmentation in plan {
            let x = try a.apply(augmentation, to: clip), y = try b.apply(augmentation, to: clip)
            XCTAssertEqual(x, y, "\(augmentation)")
            if augmentation != .pitch(semitones: 2) {
                XCTAssertNotEqual(try c.apply(augmentation, to: clip), x, "\(augmentation)")
            } else {
                _ = try c.apply(augmentation, to: clip)
            }
        }
    }

    /// A sine at f comes out at f * 2^(n/12); the length is kept and the tone fills it.
    func testPitchShiftMovesSineFrequencyAndKeepsDuration() throws {
        let augmenter = try AudioAugmenter(seed: 0)
        let f = 440.0
        let clip = TestSignals.sine(frequency: f, amplitude: 0.5, seconds: 1.5)
        for semitones in [-5.0, -2, 1, 4, 7] {
            let shifted = try augmenter.pitchShifted(clip, semitones: semitones)
            XCTAssertEqual(shifted.count, clip.count)
            let expected = f * pow(2, semitones / 12)
            let measured = TestSignals.toneFrequency(shifted, from: 3200, to: 20800)
            XCTAssertEqual(measured, expected, accuracy: expected * 0.005, "\(semitones) semitones")
            // Content spans the whole duration: the last 10 % is as loud as the middle.
            let middle = TestSignals.rms(shifted[9600 ..< 14400])
            let tail = TestSignals.rms(shifted[21600 ..< 24000 - 400])
            XCTAssertEqual(tail / middle, 1, accuracy: 0.2, "\(semitones) semitones")
            XCTAssertTrue(shifted.allSatisfy(\.isFinite))
        }
    }

    /// Time positions are kept: the centre of energy of a tone burst moves by < 1 % of the clip.
    func testPitchShiftKeepsTimingOfABurst() throws {
        let augmenter = try AudioAugmenter(seed: 0)
        var clip = [Float](repeating: 0, count: 32000)  // 2 s
        let burst = TestSignals.sine(frequency: 600, seconds: 0.5)
        clip.replaceSubrange(8000 ..< 16000, with: burst)  // 0.5 s ... 1.0 s
        let before = TestSignals.energyCentroid(clip)
        for semitones in [-4.0, 3] {
            let after = TestSignals.energyCentroid(try augmenter.pitchShifted(clip, semitones: semitones))
            XCTAssertEqual(after, before, accuracy: 0.01 * 32000, "\(semitones) semitones")
        }
    }

    func testHostileArgumentsAreTypedErrors() throws {
        var augmenter = try AudioAugmenter(seed: 0)
        let clip = TestSignals.sine(frequency: 440, seconds: 0.1)
        XCTAssertThrowsError(try augmenter.pitchShifted(clip, semitones: 30))
        XCTAssertThrowsError(try augmenter.pitchShifted(clip, semitones: .nan))
        XCTAssertThrowsError(try augmenter.addingNoise(to: clip, snrDB: .infinity))
        XCTAssertThrowsError(try AudioAugmenter(sampleRate: 0, seed: 0))
        // Degenerate but valid inputs.
        XCTAssertEqual(try augmenter.pitchShifted([], semitones: 3), [])
        XCTAssertEqual(try augmenter.addingNoise(to: [0, 0, 0], snrDB: 10), [0, 0, 0])
        XCTAssertEqual(try augmenter.pitchShifted([0.5], semitones: 3).count, 1)
    }

    func testLoudnessNormalizationHitsTargetUnlessPeakLimited() {
        let quiet = TestSignals.sine(frequency: 440, amplitude: 0.01, seconds: 0.5)
        let normalized = AudioSignal.loudnessNormalized(quiet, targetDBFS: -20)
        XCTAssertEqual(AudioSignal.rmsDBFS(normalized), -20, accuracy: 0.01)
        // A sine at -1 dBFS RMS would need a peak above 1: the gain is capped at the ceiling.
        let capped = AudioSignal.loudnessNormalized(quiet, targetDBFS: -1, peakCeiling: 0.9)
        XCTAssertEqual(capped.map(abs).max()!, 0.9, accuracy: 1e-4)
        XCTAssertEqual(AudioSignal.loudnessNormalized([0, 0], targetDBFS: -20), [0, 0])
    }
}
