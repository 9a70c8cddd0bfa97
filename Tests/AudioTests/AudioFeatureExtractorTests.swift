import Foundation
import XCTest
@testable import Audio

final class AudioFeatureExtractorTests: XCTestCase {
    private var extractor: AudioFeatureExtractor!

    override func setUpWithError() throws {
        extractor = try AudioFeatureExtractor()
    }

    func testFeatureLayoutIsZCRThenRMSThenMFCCChannelsFirst() {
        let samples = TestSignals.sine(frequency: 440, seconds: 1)
        let features = extractor.features(samples)
        XCTAssertEqual(features.featureCount, 42)
        XCTAssertEqual(features.frameCount, 1 + 16000 / 160)
        XCTAssertEqual(features.values.count, 42 * 101)
        XCTAssertEqual(features[FeatureMatrix.rmsRow, 50], features.values[1 * 101 + 50])
    }

    func testSilenceGivesFiniteFeatures() {
        for count in [0, 1, 100, 16000] {
            let features = extractor.features([Float](repeating: 0, count: count))
            XCTAssertEqual(features.frameCount, 1 + count / 160)
            XCTAssertTrue(features.values.allSatisfy(\.isFinite), "\(count) samples")
            XCTAssertEqual(Array(features.row(FeatureMatrix.zcrRow)), [Float](repeating: 0, count: features.frameCount))
            XCTAssertEqual(Array(features.row(FeatureMatrix.rmsRow)), [Float](repeating: 0, count: features.frameCount))
            // Every mel band sits at the amin floor: -100 dB; the orthonormal DCT puts it all in c0.
            XCTAssertEqual(features[FeatureMatrix.mfccRow, 0], -100 * Float(64).squareRoot(), accuracy: 1e-2)
        }
    }

    func testNonFiniteSamplesAreTreatedAsZero() {
        var samples = TestSignals.sine(frequency: 440, seconds: 0.5)
        let reference = extractor.features(samples)
        var poisoned = samples
        poisoned[4000] = .nan
        poisoned[4001] = .infinity
        samples[4000] = 0
        samples[4001] = 0
        let features = extractor.features(poisoned)
        XCTAssertTrue(features.values.allSatisfy(\.isFinite))
        XCTAssertEqual(features, extractor.features(samples))
        XCTAssertNotEqual(features, reference)
    }

    /// A sine at f crosses zero 2f times per second: ZCR = 2f/sr per sample.
    func testSineHasExpectedZeroCrossingRate() {
        for frequency in [250.0, 1000.0, 3000.0] {
            let features = extractor.features(TestSignals.sine(frequency: frequency, seconds: 1))
            let expected = Float(2 * frequency / 16000)
            for t in 3 ..< features.frameCount - 3 {
                // A 512-sample frame can hold one crossing more or less than the average.
                XCTAssertEqual(features[FeatureMatrix.zcrRow, t], expected, accuracy: 1.5 / 512, "f \(frequency), frame \(t)")
            }
        }
    }

    /// RMS of A sin(...) is A / sqrt(2); 440 Hz is not periodic in 512 samples, hence 1 %.
    func testSineHasExpectedRMS() {
        for amplitude: Float in [0.01, 0.5, 1] {
            let features = extractor.features(TestSignals.sine(frequency: 440, amplitude: amplitude, seconds: 1))
            for t in 3 ..< features.frameCount - 3 {
                XCTAssertEqual(features[FeatureMatrix.rmsRow, t], amplitude / Float(2).squareRoot(),
                               accuracy: 0.01 * amplitude, "A \(amplitude), frame \(t)")
            }
        }
    }

    /// Louder input lifts MFCC 0 by the dB gain times sqrt(nMels) (the DCT's c0 weight), and
    /// leaves the spectral shape (c1...) alone.
    func testGainShiftsOnlyMFCCZero() {
        let quiet = TestSignals.sine(frequency: 700, amplitude: 0.05, seconds: 0.5)
        let loud = quiet.map { $0 * 10 }  // +20 dB
        let a = extractor.features(quiet), b = extractor.features(loud)
        let t = 25
        XCTAssertEqual(b[FeatureMatrix.mfccRow, t] - a[FeatureMatrix.mfccRow, t], 20 * Float(64).squareRoot(), accuracy: 0.05)
        XCTAssertEqual(b[FeatureMatrix.mfccRow + 5, t], a[FeatureMatrix.mfccRow + 5, t], accuracy: 0.05)
    }

    func testFixedLengthCropsCentreAndPadsWithZeros() {
        let values = (0 ..< 2 * 10).map { Float($0) }
        let matrix = FeatureMatrix(featureCount: 2, frameCount: 10, values: values)
        let cropped = matrix.fixedLength(4)
        XCTAssertEqual(cropped.frameCount, 4)
        XCTAssertEqual(cropped.values, [3, 4, 5, 6, 13, 14, 15, 16])
        let padded = matrix.fixedLength(13)
        XCTAssertEqual(padded.frameCount, 13)
        XCTAssertEqual(Array(padded.row(0)), [0] + (0 ..< 10).map { Float($0) } + [0, 0])
        XCTAssertEqual(Array(padded.row(1)), [0] + (10 ..< 20).map { Float($0) } + [0, 0])
        XCTAssertEqual(matrix.fixedLength(10), matrix)
        XCTAssertEqual(matrix.fixedLength(0).values, [])
    }

    func testConfigJSONIsStableAndRoundTrips() throws {
        let config = AudioFeatureConfig()
        XCTAssertEqual(
            config.configJSON,
            #"{"amin":1e-10,"fMax":8000,"fMin":0,"hopLength":160,"nFFT":512,"nMFCC":40,"nMels":64,"sampleRate":16000,"topDB":80,"winLength":400}"#)
        XCTAssertEqual(try AudioFeatureConfig(configJSON: config.configJSON), config)
        var other = config
        other.nMels = 128
        XCTAssertNotEqual(other.configJSON, config.configJSON)
        XCTAssertThrowsError(try AudioFeatureConfig(configJSON: "{\"nFFT\": 512}"))
        XCTAssertThrowsError(try AudioFeatureConfig(configJSON: "not json"))
    }

    func testInvalidConfigurationsAreTypedErrors() {
        let bad: [AudioFeatureConfig] = [
            AudioFeatureConfig(nFFT: 511),
            AudioFeatureConfig(nFFT: 510),
            AudioFeatureConfig(winLength: 600),
            AudioFeatureConfig(hopLength: 0),
            AudioFeatureConfig(nMels: 32, nMFCC: 40),
            AudioFeatureConfig(fMax: 9000),
            AudioFeatureConfig(fMin: 9000, fMax: 8000),
            AudioFeatureConfig(sampleRate: 0),
            AudioFeatureConfig(topDB: .nan),
        ]
        for config in bad {
            XCTAssertThrowsError(try AudioFeatureExtractor(config: config)) { error in
                guard case AudioFeatureError.invalidConfiguration = error else {
                    return XCTFail("unexpected \(error)")
                }
            }
        }
    }

    /// Other settings (librosa-default-like 2048/512 framing, 128 mels) work too.
    func testNonDefaultConfigProducesConsistentShapes() throws {
        let config = AudioFeatureConfig(nFFT: 2048, winLength: 2048, hopLength: 512, nMels: 128, nMFCC: 20)
        let features = try AudioFeatureExtractor(config: config).features(TestSignals.sine(frequency: 440, seconds: 1))
        XCTAssertEqual(features.featureCount, 22)
        XCTAssertEqual(features.frameCount, 1 + 16000 / 512)
        XCTAssertTrue(features.values.allSatisfy(\.isFinite))
    }

    /// Prints the time for a 4 s clip (no assertion: debug builds and shared CPUs vary).
    func testReportsExtractionTimeForFourSecondClip() {
        var generator = SeededGenerator(seed: 1)
        let clip = (0 ..< 64000).map { i in
            0.3 * Float(sin(Double(i) * 0.07)) + 0.05 * Float(generator.nextGaussianPair().0)
        }
        _ = extractor.features(clip)
        let runs = 20
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0 ..< runs { _ = extractor.features(clip) }
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(runs)
        print(String(format: "AudioFeatureExtractor: %.2f ms per 4 s clip (401 frames)", milliseconds))
    }
}
