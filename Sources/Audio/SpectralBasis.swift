import Foundation

/// Precomputed matrices that turn the DFT, inverse DFT and DCT into matrix products (sgemm).
///
/// Why matrices instead of an FFT: the frames of a clip are processed together, so one
/// `[bins x n] * [n x frames]` product runs at BLAS speed on the whole clip; for the small
/// transform sizes used here (n <= 1024) this beats a per-frame FFT loop and needs no FFT code.
/// Angles are reduced with integer arithmetic (`k * n mod N`) before the cosine so every basis
/// entry is accurate to Float rounding.
enum SpectralBasis {
    /// Periodic Hann window of `length` (scipy `get_window("hann", length, fftbins=True)`).
    static func periodicHann(_ length: Int) -> [Float] {
        (0 ..< length).map { n in Float(0.5 - 0.5 * cos(2 * Double.pi * Double(n) / Double(length))) }
    }

    /// cos(2 pi k n / N) with an exact phase reduction.
    @inline(__always)
    static func cosTurn(_ k: Int, _ n: Int, _ size: Int) -> Double {
        cos(2 * Double.pi * Double((k * n) % size) / Double(size))
    }

    /// sin(2 pi k n / N) with an exact phase reduction.
    @inline(__always)
    static func sinTurn(_ k: Int, _ n: Int, _ size: Int) -> Double {
        sin(2 * Double.pi * Double((k * n) % size) / Double(size))
    }

    /// Forward real DFT of a windowed frame as one matrix, `[2 * (N/2 + 1), columns]` row-major:
    /// rows `0...N/2` give the real parts, rows `N/2+1 ..< 2*(N/2+1)` the imaginary parts.
    ///
    /// `window` has `columns` taps placed at offset `offset` inside the N-point frame (librosa
    /// centres a short window with zeros); only those columns are stored, so the product skips
    /// the zero taps. The window is folded into the basis, so the frame matrix holds raw samples.
    static func forwardDFT(size: Int, window: [Float], offset: Int) -> [Float] {
        let bins = size / 2 + 1
        let columns = window.count
        var basis = [Float](repeating: 0, count: 2 * bins * columns)
        for k in 0 ..< bins {
            for c in 0 ..< columns {
                let n = c + offset
                let w = Double(window[c])
                basis[k * columns + c] = Float(w * cosTurn(k, n, size))
                basis[(bins + k) * columns + c] = Float(-w * sinTurn(k, n, size))
            }
        }
        return basis
    }

    /// Inverse real DFT as one matrix `[N, 2 * (N/2 + 1)]`: multiplied with stacked
    /// `[real; imaginary]` spectra it returns time frames (numpy `irfft` conventions: the
    /// imaginary parts of DC and Nyquist are ignored).
    static func inverseDFT(size: Int) -> [Float] {
        let bins = size / 2 + 1
        let columns = 2 * bins
        var basis = [Float](repeating: 0, count: size * columns)
        for n in 0 ..< size {
            for k in 0 ..< bins {
                let edge = k == 0 || (k == size / 2)
                let scale = (edge ? 1.0 : 2.0) / Double(size)
                basis[n * columns + k] = Float(scale * cosTurn(k, n, size))
                basis[n * columns + bins + k] = edge ? 0 : Float(-scale * sinTurn(k, n, size))
            }
        }
        return basis
    }

    /// Orthonormal DCT-II matrix `[outputs, inputs]` (scipy `dct(type=2, norm="ortho")`, first
    /// `outputs` coefficients).
    static func dctII(outputs: Int, inputs: Int) -> [Float] {
        var matrix = [Float](repeating: 0, count: outputs * inputs)
        let n = Double(inputs)
        for k in 0 ..< outputs {
            let scale = k == 0 ? (1 / n).squareRoot() : (2 / n).squareRoot()
            for i in 0 ..< inputs {
                matrix[k * inputs + i] = Float(scale * cos(Double.pi * Double(k) * (2 * Double(i) + 1) / (2 * n)))
            }
        }
        return matrix
    }
}
