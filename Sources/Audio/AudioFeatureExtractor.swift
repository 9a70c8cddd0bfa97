import Foundation

/// Computes the per-frame speech features of Srihari & Bhaskaran (2024): zero-crossing rate,
/// RMS energy and MFCC, numerically matching librosa 0.11 for the same settings.
///
/// The heavy steps are vectorised library code: the windowed real FFT of every frame
/// (FFmpeg's `av_tx`, see ``FFTPowerSpectrum``), then the mel filterbank and the DCT as matrix
/// products over the whole clip through OpenBLAS; everything else is a single pass over the
/// samples. About 1.5 ms of one core for a 4 s clip (release build, OpenBLAS single-threaded; see docs/AUDIO_FEATURES.md). All matrices are
/// built once in `init`, so one extractor should be created per configuration and reused. The
/// value is immutable and `Sendable`: several threads may call ``features(_:)`` at once (each
/// call allocates its own scratch buffers).
///
/// librosa equivalents (`y` float32, settings from ``AudioFeatureConfig``):
/// - ZCR: `librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop, center=True)`
///   (edge padding, threshold 1e-10, zero counts as positive).
/// - RMS: `librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop, center=True, pad_mode="constant")`.
/// - MFCC: `librosa.feature.mfcc(S=librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr, n_fft,
///   hop_length, win_length, window="hann", center=True, pad_mode="constant", power=2, n_mels, fmin,
///   fmax, htk=False, norm="slaney"), ref=1, amin, top_db), n_mfcc, dct_type=2, norm="ortho")`.
public struct AudioFeatureExtractor: Sendable {
    /// The settings this extractor was built for.
    public let config: AudioFeatureConfig
    /// The mel filterbank, `[nMels, nFFT/2+1]`.
    public let melFilterbank: MelFilterbank

    /// Windowed power spectrum of all frames (FFmpeg's real FFT).
    private let powerSpectrum: FFTPowerSpectrum
    /// `[nMFCC, nMels]` orthonormal DCT-II.
    private let dctMatrix: [Float]

    /// Zero-crossing threshold: samples with |x| <= this count as zero (librosa's default).
    static let zeroCrossingThreshold: Float = 1e-10

    /// Precomputes the window, DFT basis, mel filterbank and DCT matrix.
    /// - Throws: ``AudioFeatureError/invalidConfiguration(_:)``.
    public init(config: AudioFeatureConfig = AudioFeatureConfig()) throws {
        try config.validate()
        self.config = config
        self.powerSpectrum = FFTPowerSpectrum(
            size: config.nFFT, window: SpectralBasis.periodicHann(config.winLength))
        self.melFilterbank = MelFilterbank(
            sampleRate: config.sampleRate, nFFT: config.nFFT, bandCount: config.nMels,
            fMin: config.fMin, fMax: config.fMax)
        self.dctMatrix = SpectralBasis.dctII(outputs: config.nMFCC, inputs: config.nMels)
    }

    /// Features of a mono clip at `config.sampleRate`.
    ///
    /// Returns `[2 + nMFCC, 1 + samples.count / hopLength]`; frame `t` is centred on sample
    /// `t * hopLength`. Any input is accepted: an empty clip gives one frame of silence features,
    /// and non-finite samples (NaN, infinity) are treated as 0 so they cannot poison a clip's
    /// features.
    public func features(_ samples: [Float]) -> FeatureMatrix {
        let cfg = config
        let sampleCount = samples.count
        let frames = cfg.frameCount(forSampleCount: sampleCount)
        let pad = cfg.nFFT / 2
        let paddedCount = sampleCount + 2 * pad

        // Constant (zero) padding, as librosa's stft and rms use; sanitised on the way in.
        var padded = [Float](repeating: 0, count: paddedCount)
        samples.withUnsafeBufferPointer { source in
            padded.withUnsafeMutableBufferPointer { target in
                for i in 0 ..< sampleCount {
                    let x = source[i]
                    target[pad + i] = x.isFinite ? x : 0
                }
            }
        }

        var values = [Float](repeating: 0, count: cfg.featureCount * frames)
        values.withUnsafeMutableBufferPointer { out in
            padded.withUnsafeBufferPointer { signal in
                writeZeroCrossingRate(signal, sampleCount: sampleCount, frames: frames,
                                      into: out.baseAddress!)
                writeRMS(signal, frames: frames, into: out.baseAddress! + frames)
                writeMFCC(signal, frames: frames, into: out.baseAddress! + FeatureMatrix.mfccRow * frames)
            }
        }
        return FeatureMatrix(featureCount: cfg.featureCount, frameCount: frames, values: values)
    }

    /// Row 0. librosa pads the signal with its edge values (not zeros) for ZCR, so the padded
    /// signs are taken from the first/last sample; a crossing at index i is a sign-bit change
    /// from i-1, counted inside a frame except at its first index; rate = count / frame length.
    private func writeZeroCrossingRate(
        _ zeroPadded: UnsafeBufferPointer<Float>, sampleCount: Int, frames: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let frameLength = config.nFFT
        let hop = config.hopLength
        let pad = frameLength / 2
        let count = zeroPadded.count
        let threshold = Self.zeroCrossingThreshold
        // crossingsBefore[j] = number of crossings at indices < j.
        var crossingsBefore = [Int32](repeating: 0, count: count + 1)
        crossingsBefore.withUnsafeMutableBufferPointer { prefix in
            var previousNegative = false
            var running: Int32 = 0
            for i in 0 ..< count {
                let source = sampleCount == 0 ? pad : min(max(i, pad), pad + sampleCount - 1)
                let negative = zeroPadded[source] < -threshold
                if i > 0, negative != previousNegative { running += 1 }
                previousNegative = negative
                prefix[i + 1] = running
            }
            let scale = 1 / Float(frameLength)
            for t in 0 ..< frames {
                let start = t * hop
                out[t] = Float(prefix[start + frameLength] - prefix[start + 1]) * scale
            }
        }
    }

    /// Row 1: sqrt(mean(x^2)) over `nFFT` zero-padded samples, from a Double prefix sum of squares.
    private func writeRMS(_ signal: UnsafeBufferPointer<Float>, frames: Int, into out: UnsafeMutablePointer<Float>) {
        let frameLength = config.nFFT
        let hop = config.hopLength
        var energyBefore = [Double](repeating: 0, count: signal.count + 1)
        energyBefore.withUnsafeMutableBufferPointer { prefix in
            var running = 0.0
            for i in 0 ..< signal.count {
                let x = Double(signal[i])
                running += x * x
                prefix[i + 1] = running
            }
            for t in 0 ..< frames {
                let start = t * hop
                let energy = max(0, prefix[start + frameLength] - prefix[start])
                out[t] = Float((energy / Double(frameLength)).squareRoot())
            }
        }
    }

    /// Rows 2...: [sgemm] power spectrum -> [sgemm] mel -> dB with top-dB floor -> [sgemm] DCT-II,
    /// written straight into the output rows.
    private func writeMFCC(_ signal: UnsafeBufferPointer<Float>, frames: Int, into out: UnsafeMutablePointer<Float>) {
        let cfg = config
        let bins = cfg.nFFT / 2 + 1

        // [bins, frames]: |STFT|^2 of the zero-padded signal, frame t starting at t * hop.
        var spectrum = [Float](repeating: 0, count: bins * frames)
        spectrum.withUnsafeMutableBufferPointer { power in
            powerSpectrum.power(of: signal.baseAddress!, hop: cfg.hopLength, frames: frames, into: power.baseAddress!)
        }

        // [nMels, frames] = filterbank [nMels, bins] * power [bins, frames].
        var mel = [Float](repeating: 0, count: cfg.nMels * frames)
        melFilterbank.weights.withUnsafeBufferPointer { weights in
            spectrum.withUnsafeBufferPointer { power in
                mel.withUnsafeMutableBufferPointer { result in
                    BLAS.sgemm(m: cfg.nMels, n: frames, k: bins,
                               a: weights.baseAddress!, lda: bins,
                               b: power.baseAddress!, ldb: frames,
                               c: result.baseAddress!, ldc: frames)
                }
            }
        }

        // power_to_db(ref=1): 10 log10(max(amin, x)), then floor at (clip max - topDB).
        let amin = Float(cfg.amin)
        mel.withUnsafeMutableBufferPointer { m in
            var loudest = -Float.infinity
            for i in 0 ..< m.count {
                let db = 10 * log10(max(amin, m[i]))
                m[i] = db
                loudest = max(loudest, db)
            }
            let floor = loudest - Float(cfg.topDB)
            for i in 0 ..< m.count where m[i] < floor { m[i] = floor }
        }

        // [nMFCC, frames] = dct [nMFCC, nMels] * melDB [nMels, frames], into the output rows.
        dctMatrix.withUnsafeBufferPointer { dct in
            mel.withUnsafeBufferPointer { melDB in
                BLAS.sgemm(m: cfg.nMFCC, n: frames, k: cfg.nMels,
                           a: dct.baseAddress!, lda: cfg.nMels,
                           b: melDB.baseAddress!, ldb: frames,
                           c: out, ldc: frames)
            }
        }
    }
}
