import Foundation

/// Training-time data augmentation: Gaussian noise at a chosen SNR, pitch shift with the
/// duration kept, and both together.
///
/// Deterministic: all randomness comes from a ``SeededGenerator`` owned by the value, so the same
/// seed and the same call sequence give bit-identical output. The value is not shared between
/// threads while it is mutated; give each worker its own augmenter (and seed).
///
/// Pitch shift follows `librosa.effects.pitch_shift`: time-stretch by `2^(n/12)` with a phase
/// vocoder (pitch kept, duration changed), then resample by `2^(-n/12)` (duration restored,
/// pitch moved by `n` semitones), then cut or zero-pad to the input length.
public struct AudioAugmenter: Sendable {
    /// Sample rate of the clips. The algorithms work in samples and do not depend on it; it is
    /// kept so a training run can record and check what the augmenter was made for.
    public let sampleRate: Int
    /// The random source; exposed so callers can checkpoint it.
    public private(set) var generator: SeededGenerator

    /// Largest accepted pitch shift in semitones (two octaves either way).
    public static let maximumSemitones: Double = 24

    private let vocoder: PhaseVocoder
    private let resampler: SincResampler

    /// - Parameters:
    ///   - sampleRate: clip sample rate in Hz (16000 in this project).
    ///   - seed: fixes every random draw.
    ///   - vocoderFFTSize: STFT size of the phase vocoder, a multiple of 4 in 16...8192 (hop is a
    ///     quarter of it); 1024 = 64 ms at 16 kHz, about what librosa's 2048 is at 22.05 kHz.
    public init(sampleRate: Int = 16000, seed: UInt64, vocoderFFTSize: Int = 1024) throws {
        guard sampleRate > 0 else { throw AudioFeatureError.invalidArgument("sampleRate must be > 0 (got \(sampleRate))") }
        guard vocoderFFTSize >= 16, vocoderFFTSize % 4 == 0, vocoderFFTSize <= 8192 else {
            throw AudioFeatureError.invalidArgument("vocoderFFTSize must be a multiple of 4 in 16...8192 (got \(vocoderFFTSize))")
        }
        self.sampleRate = sampleRate
        self.generator = SeededGenerator(seed: seed)
        self.vocoder = PhaseVocoder(nFFT: vocoderFFTSize)
        self.resampler = SincResampler()
    }

    /// Applies one augmentation.
    public mutating func apply(_ augmentation: AudioAugmentation, to samples: [Float]) throws -> [Float] {
        switch augmentation {
        case .noise(let snrDB): try addingNoise(to: samples, snrDB: snrDB)
        case .pitch(let semitones): try pitchShifted(samples, semitones: semitones)
        case .noiseAndPitch(let snrDB, let semitones):
            try addingNoise(to: try pitchShifted(samples, semitones: semitones), snrDB: snrDB)
        }
    }

    /// `samples` plus white Gaussian noise whose power is exactly `signal power / 10^(snrDB/10)`.
    ///
    /// The drawn noise is rescaled to its target power (not just drawn with the target variance),
    /// so the SNR is exact for every clip, not only on average. Silent input (power 0) has no
    /// defined SNR and is returned unchanged. Non-finite samples count as 0.
    /// - Throws: ``AudioFeatureError/invalidArgument(_:)`` for a non-finite SNR.
    public mutating func addingNoise(to samples: [Float], snrDB: Double) throws -> [Float] {
        guard snrDB.isFinite else { throw AudioFeatureError.invalidArgument("snrDB must be finite (got \(snrDB))") }
        let clean = samples.map { $0.isFinite ? $0 : 0 }
        let signalPower = AudioSignal.meanSquare(clean)
        guard signalPower > 0 else { return clean }
        var noise = [Float](repeating: 0, count: clean.count)
        var i = 0
        while i < noise.count {
            let (a, b) = generator.nextGaussianPair()
            noise[i] = Float(a)
            if i + 1 < noise.count { noise[i + 1] = Float(b) }
            i += 2
        }
        let noisePower = AudioSignal.meanSquare(noise)
        guard noisePower > 0 else { return clean }
        let targetNoisePower = signalPower / pow(10, snrDB / 10)
        let scale = Float((targetNoisePower / noisePower).squareRoot())
        return zip(clean, noise).map { $0 + scale * $1 }
    }

    /// `samples` with every frequency multiplied by `2^(semitones/12)`, same length.
    ///
    /// Deterministic and does not consume random numbers.
    /// - Throws: ``AudioFeatureError/invalidArgument(_:)`` if `|semitones|` exceeds
    ///   ``maximumSemitones`` or is not finite.
    public func pitchShifted(_ samples: [Float], semitones: Double) throws -> [Float] {
        guard semitones.isFinite, abs(semitones) <= Self.maximumSemitones else {
            throw AudioFeatureError.invalidArgument(
                "semitones must be finite and within ±\(Self.maximumSemitones) (got \(semitones))")
        }
        guard semitones != 0, !samples.isEmpty else { return samples.map { $0.isFinite ? $0 : 0 } }
        let rate = pow(2, -semitones / 12)
        let stretched = vocoder.stretched(samples, rate: rate)
        var shifted = resampler.resample(stretched, ratio: rate)
        // librosa `fix_length`: cut or zero-pad to the input length.
        if shifted.count > samples.count {
            shifted.removeLast(shifted.count - samples.count)
        } else if shifted.count < samples.count {
            shifted.append(contentsOf: repeatElement(0, count: samples.count - shifted.count))
        }
        return shifted
    }
}
