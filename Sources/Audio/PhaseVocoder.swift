import Foundation

/// Time stretching without changing pitch, the algorithm of `librosa.effects.time_stretch`
/// (STFT -> `librosa.core.phase_vocoder` -> inverse STFT).
///
/// Used by ``AudioAugmenter`` for pitch shifting: stretch by `1/rate`, then resample by `rate`.
/// The STFT and its inverse are matrix products (sgemm) over all frames; the per-frame phase
/// propagation is a loop over bins with precomputed magnitudes and angles.
/// Immutable and `Sendable`; each call allocates its own buffers.
struct PhaseVocoder: Sendable {
    /// FFT size; 1024 samples = 64 ms at 16 kHz, about what librosa's 2048 is at 22.05 kHz.
    let nFFT: Int
    /// Hop, `nFFT / 4` (librosa's default).
    let hop: Int
    private let window: [Float]
    /// `[2 * bins, nFFT]`, windowed forward DFT (real rows then imaginary rows).
    private let forwardBasis: [Float]
    /// `[nFFT, 2 * bins]`, inverse real DFT.
    private let inverseBasis: [Float]

    init(nFFT: Int = 1024) {
        self.nFFT = nFFT
        self.hop = nFFT / 4
        self.window = SpectralBasis.periodicHann(nFFT)
        self.forwardBasis = SpectralBasis.forwardDFT(size: nFFT, window: window, offset: 0)
        self.inverseBasis = SpectralBasis.inverseDFT(size: nFFT)
    }

    private var bins: Int { nFFT / 2 + 1 }

    /// `samples` played `1/rate` times as long (rate < 1 slows down), same pitch; the result has
    /// `round(samples.count / rate)` samples.
    func stretched(_ samples: [Float], rate: Double) -> [Float] {
        precondition(rate > 0 && rate.isFinite)
        let outputLength = Int((Double(samples.count) / rate).rounded())
        guard !samples.isEmpty, outputLength > 0 else { return [Float](repeating: 0, count: max(0, outputLength)) }
        let (magnitude, phase, frames) = analyse(samples)
        let spectrum = propagate(magnitude: magnitude, phase: phase, frames: frames, rate: rate)
        return synthesise(spectrum, length: outputLength)
    }

    /// Centred (zero-padded) STFT; returns magnitude and phase, frame-major `[frames + 2, bins]`
    /// (two zero frames appended, as librosa's phase vocoder does).
    private func analyse(_ samples: [Float]) -> (magnitude: [Float], phase: [Float], frames: Int) {
        let pad = nFFT / 2
        var padded = [Float](repeating: 0, count: samples.count + 2 * pad)
        for (i, x) in samples.enumerated() { padded[pad + i] = x.isFinite ? x : 0 }
        let frames = 1 + samples.count / hop
        var frameMatrix = [Float](repeating: 0, count: frames * nFFT)
        padded.withUnsafeBufferPointer { signal in
            frameMatrix.withUnsafeMutableBufferPointer { matrix in
                for t in 0 ..< frames {
                    (matrix.baseAddress! + t * nFFT).update(from: signal.baseAddress! + t * hop, count: nFFT)
                }
            }
        }
        // [frames, 2 * bins] = frames [frames, nFFT] * basis^T.
        let width = 2 * bins
        var spectrum = [Float](repeating: 0, count: frames * width)
        frameMatrix.withUnsafeBufferPointer { matrix in
            forwardBasis.withUnsafeBufferPointer { basis in
                spectrum.withUnsafeMutableBufferPointer { result in
                    BLAS.sgemm(transposeB: true, m: frames, n: width, k: nFFT,
                               a: matrix.baseAddress!, lda: nFFT, b: basis.baseAddress!, ldb: nFFT,
                               c: result.baseAddress!, ldc: width)
                }
            }
        }
        var magnitude = [Float](repeating: 0, count: (frames + 2) * bins)
        var phase = [Float](repeating: 0, count: (frames + 2) * bins)
        for t in 0 ..< frames {
            for k in 0 ..< bins {
                let re = spectrum[t * width + k], im = spectrum[t * width + bins + k]
                magnitude[t * bins + k] = (re * re + im * im).squareRoot()
                phase[t * bins + k] = atan2(im, re)
            }
        }
        return (magnitude, phase, frames)
    }

    /// librosa's phase vocoder: interpolate magnitudes between neighbouring frames and advance
    /// each bin's phase by its measured instantaneous frequency. Returns `[outFrames, 2 * bins]`.
    private func propagate(magnitude: [Float], phase: [Float], frames: Int, rate: Double) -> (values: [Float], frames: Int) {
        let outFrames = Int((Double(frames) / rate).rounded(.up))
        let width = 2 * bins
        var out = [Float](repeating: 0, count: outFrames * width)
        // Expected phase advance per hop for each bin: 2 pi k hop / nFFT.
        let advance = (0 ..< bins).map { 2 * Double.pi * Double($0) * Double(hop) / Double(nFFT) }
        var accumulated = (0 ..< bins).map { Double(phase[$0]) }
        let twoPi = 2 * Double.pi
        for t in 0 ..< outFrames {
            let step = Double(t) * rate
            let index = Int(step)
            if index >= frames { break }
            let alpha = Float(step - Double(index))
            let current = index * bins, next = (index + 1) * bins
            for k in 0 ..< bins {
                let mag = (1 - alpha) * magnitude[current + k] + alpha * magnitude[next + k]
                let angle = accumulated[k]
                out[t * width + k] = mag * Float(cos(angle))
                out[t * width + bins + k] = mag * Float(sin(angle))
                var delta = Double(phase[next + k]) - Double(phase[current + k]) - advance[k]
                delta -= twoPi * (delta / twoPi).rounded(.toNearestOrEven)
                accumulated[k] = angle + advance[k] + delta
            }
        }
        return (out, outFrames)
    }

    /// Inverse STFT: inverse DFT of every frame (one sgemm), synthesis window, overlap-add,
    /// division by the summed squared window, centre padding removed.
    private func synthesise(_ spectrum: (values: [Float], frames: Int), length: Int) -> [Float] {
        let frames = spectrum.frames
        let width = 2 * bins
        var timeFrames = [Float](repeating: 0, count: frames * nFFT)
        // [frames, nFFT] = spectrum [frames, 2 * bins] * inverse^T.
        spectrum.values.withUnsafeBufferPointer { s in
            inverseBasis.withUnsafeBufferPointer { basis in
                timeFrames.withUnsafeMutableBufferPointer { result in
                    BLAS.sgemm(transposeB: true, m: frames, n: nFFT, k: width,
                               a: s.baseAddress!, lda: width, b: basis.baseAddress!, ldb: width,
                               c: result.baseAddress!, ldc: nFFT)
                }
            }
        }
        let total = nFFT + hop * (frames - 1)
        var signal = [Float](repeating: 0, count: total)
        var windowEnergy = [Float](repeating: 0, count: total)
        for t in 0 ..< frames {
            let start = t * hop
            for n in 0 ..< nFFT {
                let w = window[n]
                signal[start + n] += timeFrames[t * nFFT + n] * w
                windowEnergy[start + n] += w * w
            }
        }
        let pad = nFFT / 2
        var out = [Float](repeating: 0, count: length)
        for i in 0 ..< length where pad + i < total {
            let energy = windowEnergy[pad + i]
            out[i] = energy > Float.leastNormalMagnitude ? signal[pad + i] / energy : signal[pad + i]
        }
        return out
    }
}
