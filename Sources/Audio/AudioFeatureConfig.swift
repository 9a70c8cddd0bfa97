import Foundation

/// Settings of the per-frame speech features (zero-crossing rate, RMS energy, MFCC).
///
/// Every setting has the meaning of the librosa argument of the same name, and the defaults are
/// the ones `scripts/make_librosa_fixture.py` passes to librosa 0.11, so the Swift features are
/// checked against librosa's numbers (see docs/AUDIO_FEATURES.md for why these values).
///
/// A trained model stores ``configJSON`` in its metadata; loading it with different settings is
/// an error because the network would see features it was not trained on.
public struct AudioFeatureConfig: Codable, Sendable, Equatable, Hashable {
    /// Sample rate of the input in Hz. Default 16000 (what Media decodes to).
    public var sampleRate: Int
    /// FFT size (librosa `n_fft`); also the frame length of ZCR and RMS. Default 512 (32 ms).
    /// Must be a power of two (FFmpeg's real FFT, see `FFTPowerSpectrum`).
    public var nFFT: Int
    /// Hann window length (librosa `win_length`), centred inside the `nFFT` frame. Default 400 (25 ms).
    public var winLength: Int
    /// Hop between frames (librosa `hop_length`). Default 160 (10 ms, 100 frames per second).
    public var hopLength: Int
    /// Number of Slaney-scale mel bands (librosa `n_mels`). Default 64.
    public var nMels: Int
    /// Number of cepstral coefficients kept (librosa `n_mfcc`). Default 40.
    public var nMFCC: Int
    /// Lowest mel band edge in Hz (librosa `fmin`). Default 0.
    public var fMin: Double
    /// Highest mel band edge in Hz (librosa `fmax`). Default `sampleRate / 2`.
    public var fMax: Double
    /// Dynamic range kept by `power_to_db` below the clip's loudest mel value (librosa `top_db`). Default 80.
    public var topDB: Double
    /// Floor applied to mel power before the logarithm (librosa `amin`). Default 1e-10.
    public var amin: Double

    /// Creates a configuration; every argument defaults to the documented value.
    public init(
        sampleRate: Int = 16000,
        nFFT: Int = 512,
        winLength: Int = 400,
        hopLength: Int = 160,
        nMels: Int = 64,
        nMFCC: Int = 40,
        fMin: Double = 0,
        fMax: Double? = nil,
        topDB: Double = 80,
        amin: Double = 1e-10
    ) {
        self.sampleRate = sampleRate
        self.nFFT = nFFT
        self.winLength = winLength
        self.hopLength = hopLength
        self.nMels = nMels
        self.nMFCC = nMFCC
        self.fMin = fMin
        self.fMax = fMax ?? Double(sampleRate) / 2
        self.topDB = topDB
        self.amin = amin
    }

    /// Rows of a ``FeatureMatrix``: ZCR, RMS, then `nMFCC` cepstral coefficients.
    public var featureCount: Int { 2 + nMFCC }

    /// Frames produced for `sampleCount` samples (centred framing: `1 + sampleCount / hopLength`).
    public func frameCount(forSampleCount sampleCount: Int) -> Int {
        1 + max(0, sampleCount) / hopLength
    }

    /// Stable JSON of these settings (sorted keys, no whitespace), stored in model metadata and
    /// compared when a model is loaded.
    public var configJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a struct of Ints and finite Doubles cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes settings written by ``configJSON``.
    public init(configJSON: String) throws {
        do {
            self = try JSONDecoder().decode(AudioFeatureConfig.self, from: Data(configJSON.utf8))
        } catch {
            throw AudioFeatureError.undecodableConfiguration(String(describing: error))
        }
    }

    /// Throws ``AudioFeatureError/invalidConfiguration(_:)`` naming the first setting that
    /// cannot work.
    public func validate() throws {
        func fail(_ message: String) -> AudioFeatureError { .invalidConfiguration(message) }
        guard sampleRate > 0 else { throw fail("sampleRate must be > 0 (got \(sampleRate))") }
        // A power of two: the sizes every FFmpeg version's real FFT supports (librosa's usual too).
        guard nFFT >= 4, nFFT & (nFFT - 1) == 0 else { throw fail("nFFT must be a power of two >= 4 (got \(nFFT))") }
        guard nFFT <= 1 << 16 else { throw fail("nFFT must be <= 65536 (got \(nFFT))") }
        guard winLength >= 1, winLength <= nFFT else {
            throw fail("winLength must be in 1...nFFT (got \(winLength), nFFT \(nFFT))")
        }
        guard hopLength >= 1 else { throw fail("hopLength must be >= 1 (got \(hopLength))") }
        guard nMels >= 1, nMels <= 1024 else { throw fail("nMels must be in 1...1024 (got \(nMels))") }
        guard nMFCC >= 1, nMFCC <= nMels else {
            throw fail("nMFCC must be in 1...nMels (got \(nMFCC), nMels \(nMels))")
        }
        guard fMin.isFinite, fMax.isFinite, fMin >= 0, fMin < fMax, fMax <= Double(sampleRate) / 2 else {
            throw fail("need 0 <= fMin < fMax <= sampleRate/2 (got fMin \(fMin), fMax \(fMax))")
        }
        guard topDB.isFinite, topDB > 0 else { throw fail("topDB must be finite and > 0 (got \(topDB))") }
        guard amin.isFinite, amin > 0 else { throw fail("amin must be finite and > 0 (got \(amin))") }
    }
}
