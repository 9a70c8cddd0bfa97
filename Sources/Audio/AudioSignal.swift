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

    /// The range of `samples` between the first and last non-silent frame, as
    /// `librosa.effects.trim(y, top_db, frame_length, hop_length)` finds it: a frame is silent
    /// when its RMS (centred, zero-padded frames) is more than `topDB` below the loudest frame's.
    ///
    /// Why: RAVDESS clips carry up to a second of silence at each end; trimming it before
    /// ``FeatureMatrix/fixedLength(_:)`` keeps the network's fixed window on the speech.
    /// A clip of digital silence is kept whole (every frame is at the 1e-5 floor, so none is
    /// "below the loudest"), as librosa does; an empty clip gives `0 ..< 0`; invalid settings
    /// (frame < 2, hop < 1, topDB not finite and positive) trim nothing.
    public static func silenceTrimmedRange(
        _ samples: [Float], topDB: Double = 60, frameLength: Int = 512, hopLength: Int = 160
    ) -> Range<Int> {
        guard !samples.isEmpty else { return 0 ..< 0 }
        // Meaningless settings trim nothing rather than lose speech.
        guard frameLength >= 2, hopLength >= 1, topDB.isFinite, topDB > 0 else { return 0 ..< samples.count }
        let pad = frameLength / 2
        let frames = 1 + samples.count / hopLength
        var energyBefore = [Double](repeating: 0, count: samples.count + 2 * pad + 1)
        for i in 0 ..< samples.count + 2 * pad {
            let index = i - pad
            let x = index >= 0 && index < samples.count && samples[index].isFinite ? Double(samples[index]) : 0
            energyBefore[i + 1] = energyBefore[i] + x * x
        }
        let rms = (0 ..< frames).map { t -> Double in
            let start = t * hopLength
            let energy = max(0, energyBefore[min(start + frameLength, energyBefore.count - 1)] - energyBefore[start])
            // Rounded to Float like librosa's float32 RMS, so threshold decisions match.
            return Double(Float((energy / Double(frameLength)).squareRoot()))
        }
        // librosa amplitude_to_db(ref=max, amin=1e-5): 20 log10(max(amin, rms) / max(amin, peak)).
        let amin = 1e-5
        let reference = max(amin, rms.max() ?? 0)
        let loud = rms.indices.filter { 20 * log10(max(amin, rms[$0]) / reference) > -topDB }
        guard let first = loud.first, let last = loud.last else { return 0 ..< 0 }
        return min(samples.count, first * hopLength) ..< min(samples.count, (last + 1) * hopLength)
    }

    /// `samples` without leading and trailing silence (see ``silenceTrimmedRange(_:topDB:frameLength:hopLength:)``).
    public static func trimmedSilence(
        _ samples: [Float], topDB: Double = 60, frameLength: Int = 512, hopLength: Int = 160
    ) -> [Float] {
        Array(samples[silenceTrimmedRange(samples, topDB: topDB, frameLength: frameLength, hopLength: hopLength)])
    }
}
