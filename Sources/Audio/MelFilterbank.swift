import Foundation

/// Triangular mel filterbank on the Slaney mel scale with Slaney (area) normalisation, the
/// same as `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm="slaney")`.
///
/// Why Slaney: it is librosa's default, which is what the reference paper used, and keeping it
/// lets the parity test compare with librosa directly.
public struct MelFilterbank: Sendable, Equatable {
    /// Number of mel bands (rows).
    public let bandCount: Int
    /// Number of FFT bins (columns), `nFFT / 2 + 1`.
    public let binCount: Int
    /// `[bandCount, binCount]` row-major filter weights.
    public let weights: [Float]

    /// Builds the filterbank. Computed in Double, stored as Float (librosa does the same).
    public init(sampleRate: Int, nFFT: Int, bandCount: Int, fMin: Double, fMax: Double) {
        let binCount = nFFT / 2 + 1
        let fftFrequencies = (0 ..< binCount).map { Double($0) * Double(sampleRate) / Double(nFFT) }
        let melMin = Self.hzToMel(fMin)
        let melMax = Self.hzToMel(fMax)
        // bandCount + 2 edge frequencies, evenly spaced in mel.
        let edges = (0 ..< bandCount + 2).map { i -> Double in
            Self.melToHz(melMin + (melMax - melMin) * Double(i) / Double(bandCount + 1))
        }
        var weights = [Float](repeating: 0, count: bandCount * binCount)
        for band in 0 ..< bandCount {
            let lowerWidth = edges[band + 1] - edges[band]
            let upperWidth = edges[band + 2] - edges[band + 1]
            let slaneyNorm = 2.0 / (edges[band + 2] - edges[band])
            for bin in 0 ..< binCount {
                let rising = (fftFrequencies[bin] - edges[band]) / lowerWidth
                let falling = (edges[band + 2] - fftFrequencies[bin]) / upperWidth
                let weight = max(0, min(rising, falling))
                weights[band * binCount + bin] = Float(weight * slaneyNorm)
            }
        }
        self.bandCount = bandCount
        self.binCount = binCount
        self.weights = weights
    }

    // Slaney's auditory-toolbox mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
    private static let hzPerMel = 200.0 / 3.0
    private static let logRegionStartHz = 1000.0
    private static let logRegionStartMel = logRegionStartHz / hzPerMel
    private static let logStep = log(6.4) / 27.0

    /// Hz to Slaney mel (librosa `hz_to_mel(htk=False)`).
    public static func hzToMel(_ hz: Double) -> Double {
        hz >= logRegionStartHz
            ? logRegionStartMel + log(hz / logRegionStartHz) / logStep
            : hz / hzPerMel
    }

    /// Slaney mel to Hz (librosa `mel_to_hz(htk=False)`).
    public static func melToHz(_ mel: Double) -> Double {
        mel >= logRegionStartMel
            ? logRegionStartHz * exp(logStep * (mel - logRegionStartMel))
            : mel * hzPerMel
    }
}
