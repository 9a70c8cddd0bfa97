import Foundation
import XCTest
@testable import Audio

/// Pins the features to librosa 0.11 on a real RAVDESS speech excerpt
/// (fixture made by scripts/make_librosa_fixture.py; no Python needed here).
final class LibrosaParityTests: XCTestCase {
    private struct Expected: Decodable {
        struct Config: Decodable {
            var sampleRate: Int, nFFT: Int, winLength: Int, hopLength: Int, nMels: Int, nMFCC: Int
            var fMin: Double, fMax: Double, topDB: Double, amin: Double
        }
        struct PitchShift: Decodable {
            var rms_dbfs: Double
            var frame_rms: [Float]
        }
        var samples: Int
        var frames: Int
        var config: Config
        var pitch_shift_n_fft: Int
        var pitch_shift: [String: PitchShift]
        var trim: [String: [Int]]
    }

    private var expected: Expected!
    private var samples: [Float] = []
    private var extractor: AudioFeatureExtractor!

    override func setUpWithError() throws {
        let data = try Data(contentsOf: FixtureFiles.url("librosa_expected.json"))
        expected = try JSONDecoder().decode(Expected.self, from: data)
        let clip = try TestWAV.read(FixtureFiles.url("ravdess_a01_angry_1p5s.wav"))
        XCTAssertEqual(clip.sampleRate, 16000)
        samples = clip.samples
        extractor = try AudioFeatureExtractor()
    }

    func testFixtureWasMadeWithTheDefaultConfig() throws {
        let c = expected.config
        let mirrored = AudioFeatureConfig(
            sampleRate: c.sampleRate, nFFT: c.nFFT, winLength: c.winLength, hopLength: c.hopLength,
            nMels: c.nMels, nMFCC: c.nMFCC, fMin: c.fMin, fMax: c.fMax, topDB: c.topDB, amin: c.amin)
        XCTAssertEqual(mirrored, AudioFeatureConfig(), "scripts/make_librosa_fixture.py must mirror the defaults")
        XCTAssertEqual(samples.count, expected.samples)
    }

    /// Float32 filterbank built from Double math on both sides: only Float rounding differs.
    func testMelFilterbankMatchesLibrosa() throws {
        let reference = try FixtureFiles.float32("librosa_melfb.f32")
        let ours = extractor.melFilterbank.weights
        XCTAssertEqual(ours.count, reference.count)
        let worst = zip(ours, reference).map { abs($0 - $1) }.max() ?? .infinity
        print("mel filterbank parity: max abs diff \(worst)")
        XCTAssertLessThan(worst, 1e-5, "largest filterbank weight is about 0.03; max abs diff \(worst)")
    }

    func testFrameCountMatchesLibrosa() {
        let features = extractor.features(samples)
        XCTAssertEqual(features.frameCount, expected.frames)
        XCTAssertEqual(features.featureCount, 42)
    }

    /// ZCR is a count over integers divided by 512: any disagreement would be a whole crossing
    /// (1/512 ~ 0.002), so it must match to Float rounding.
    func testZeroCrossingRateMatchesLibrosa() throws {
        let reference = try FixtureFiles.float32("librosa_zcr.f32")
        let ours = Array(extractor.features(samples).row(FeatureMatrix.zcrRow))
        XCTAssertEqual(ours.count, reference.count)
        print("ZCR parity: max abs diff \(zip(ours, reference).map { abs($0 - $1) }.max() ?? .infinity)")
        for (t, (a, b)) in zip(ours, reference).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-6, "frame \(t)")
        }
    }

    /// librosa sums squares in float32, we in Double: relative agreement to ~1e-5.
    func testRMSMatchesLibrosa() throws {
        let reference = try FixtureFiles.float32("librosa_rms.f32")
        let ours = Array(extractor.features(samples).row(FeatureMatrix.rmsRow))
        XCTAssertEqual(ours.count, reference.count)
        print("RMS parity: max relative diff \(zip(ours, reference).map { abs($0 - $1) / max($1, 1e-4) }.max() ?? .infinity)")
        for (t, (a, b)) in zip(ours, reference).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-5 * max(b, 1e-4), "frame \(t)")
        }
    }

    /// MFCC are in dB units (c0 reaches several hundred). The DFT is a float32 product here and
    /// an FFT in librosa; float32 rounding differs most in bins far below a frame's peak and is
    /// averaged by the mel sums and the DCT. Measured: 1.5e-4 dB (a few float32 ulps of c0).
    /// The bound, 5e-3 dB, still catches any real error (checked with librosa: a symmetric instead
    /// of periodic Hann window moves some MFCC by 1.1 dB, reflect instead of zero padding by 26 dB,
    /// fmax 7900 instead of 8000 by 4.8 dB) and is far below what a classifier can see.
    func testMFCCMatchesLibrosa() throws {
        let reference = try FixtureFiles.float32("librosa_mfcc.f32")
        let features = extractor.features(samples)
        let frames = features.frameCount
        XCTAssertEqual(reference.count, 40 * frames)
        var worst: Float = 0
        var worstAt = (0, 0)
        for c in 0 ..< 40 {
            for t in 0 ..< frames {
                let diff = abs(features[FeatureMatrix.mfccRow + c, t] - reference[c * frames + t])
                if diff > worst { worst = diff; worstAt = (c, t) }
            }
        }
        print("MFCC parity: max abs diff \(worst) dB at coefficient \(worstAt.0), frame \(worstAt.1)")
        XCTAssertLessThan(worst, 5e-3, "max abs MFCC diff \(worst) at coefficient \(worstAt.0), frame \(worstAt.1)")
    }

    /// Pitch shift against `librosa.effects.pitch_shift` (same phase vocoder size). The final
    /// resamplers differ (soxr vs our windowed sinc), so samples are not comparable, but the
    /// overall level (the phase vocoder itself loses ~3 dB on speech, in both) and the per-frame
    /// energy envelope must agree.
    func testPitchShiftMatchesLibrosaLevelAndEnvelope() throws {
        let augmenter = try AudioAugmenter(seed: 0, vocoderFFTSize: expected.pitch_shift_n_fft)
        XCTAssertEqual(expected.pitch_shift.count, 2)
        for (key, reference) in expected.pitch_shift {
            let semitones = try XCTUnwrap(Double(key))
            let shifted = try augmenter.pitchShifted(samples, semitones: semitones)
            XCTAssertEqual(shifted.count, samples.count)
            XCTAssertEqual(AudioSignal.rmsDBFS(shifted), reference.rms_dbfs, accuracy: 0.05, "\(key) semitones")
            let ours = Array(extractor.features(shifted).row(FeatureMatrix.rmsRow))
            XCTAssertEqual(ours.count, reference.frame_rms.count)
            // Envelope in dB over frames that carry speech (above -50 dBFS in librosa's output).
            var differences: [Float] = []
            for (a, b) in zip(ours, reference.frame_rms) where b > 0.00316 {
                differences.append(abs(20 * log10(max(a, 1e-7) / b)))
            }
            differences.sort()
            let median = differences[differences.count / 2], worst = differences.last!
            print("pitch \(key): level \(AudioSignal.rmsDBFS(shifted)) vs \(reference.rms_dbfs) dBFS; envelope |dB diff| median \(median), max \(worst) over \(differences.count) frames")
            XCTAssertGreaterThan(differences.count, 50)
            XCTAssertLessThan(median, 0.05, "\(key) semitones")
            XCTAssertLessThan(worst, 1, "\(key) semitones")
        }
    }

    func testSilenceTrimMatchesLibrosa() throws {
        XCTAssertEqual(expected.trim.count, 3)
        for (key, range) in expected.trim {
            let topDB = try XCTUnwrap(Double(key))
            XCTAssertEqual(AudioSignal.silenceTrimmedRange(samples, topDB: topDB), range[0] ..< range[1], "top_db \(key)")
        }
        XCTAssertEqual(AudioSignal.silenceTrimmedRange([Float](repeating: 0, count: 1000)), 0 ..< 1000, "librosa keeps digital silence whole")
        XCTAssertEqual(AudioSignal.trimmedSilence([]), [])
    }
}
