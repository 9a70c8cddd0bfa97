import Foundation

/// Small whole-clip helpers used around feature extraction and training.
public enum AudioSignal {
    /// Mean of x^2 (signal power), accumulated in Double.
    public static func meanSquare(_ samples: [Float]) -> Double {
        guard !samples.isEmpty else { return 0 }
        var sum = 0.0
        for x in samples where x.isFinite { sum += Double(x) * Double(x) }
        return sum / Double(samples.count)
    }

    /// Root mean square level in dBFS (a full-scale sine is -3 dBFS); `-infinity` for silence.
    public static func rmsDBFS(_ samples: [Float]) -> Double {
        let power = meanSquare(samples)
        return power > 0 ? 10 * log10(power) : -.infinity
    }

    /// `samples` scaled so their RMS level is `targetDBFS`, but never so far that the peak
    /// exceeds `peakCeiling` (the gain is lowered instead; clipping would add distortion the
    /// model would learn from).
    ///
    /// Why: RAVDESS actors and real microphones differ by tens of dB; equalising the level
    /// keeps RMS energy and MFCC 0 about the voice rather than the recording gain.
    /// Silence is returned unchanged; non-finite samples become 0.
    public static func loudnessNormalized(
        _ samples: [Float], targetDBFS: Double = -20, peakCeiling: Float = 0.99
    ) -> [Float] {
        let clean = samples.map { $0.isFinite ? $0 : 0 }
        let current = rmsDBFS(clean)
        guard current.isFinite, targetDBFS.isFinite, peakCeiling > 0 else { return clean }
        var gain = Float(pow(10, (targetDBFS - current) / 20))
        let peak = clean.reduce(Float(0)) { max($0, abs($1)) }
        if peak * gain > peakCeiling { gain = peakCeiling / peak }
        return clean.map { $0 * gain }
    }
}
