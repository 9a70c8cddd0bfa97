/// One augmentation of the reference paper (Srihari & Bhaskaran 2024): Gaussian noise, pitch
/// shift, or both. Codable so a training run can record which variants it generated.
public enum AudioAugmentation: Codable, Sendable, Equatable, Hashable {
    /// Additive white Gaussian noise at `snrDB` dB signal-to-noise ratio.
    case noise(snrDB: Double)
    /// Pitch moved by `semitones` (may be fractional or negative), duration kept.
    case pitch(semitones: Double)
    /// Pitch shift first, then noise at `snrDB` relative to the shifted signal.
    case noiseAndPitch(snrDB: Double, semitones: Double)
}
