import Foundation

/// Power spectrum of many windowed frames at once, as four small matrix products (sgemm).
///
/// Why folded: a plain real DFT as a matrix costs `2 * (N/2+1) * N` multiply-adds per frame.
/// Writing each frame around its centre `c = N/2` turns it into an even part
/// `E[m] = x[c+m] + x[c-m]` (cosine terms) and an odd part `O[m] = x[c+m] - x[c-m]` (sine terms),
/// halving the work; splitting `E` and `O` into even and odd `m` then gives bins `k` and `c-k`
/// from the same products (`cos(2pi(c-k)m/N) = (-1)^m cos(2pi k m/N)`), halving it again. Only
/// `N/4+1` basis rows and the columns where the window is non-zero remain: for N = 512 with a
/// 400-tap window, 4 x [129 x ~100] instead of [514 x 400]. The sign `(-1)^k` the centring adds
/// to each bin does not change the power, which is all that is returned.
struct FoldedPowerSpectrum: Sendable {
    let size: Int
    /// The analysis window spread over the whole N-point frame (zeros outside its taps).
    private let window: [Float]
    /// Largest distance from the centre at which the window is non-zero.
    private let reach: Int
    /// Columns for even `m` (0, 2, ...) and odd `m` (1, 3, ...).
    private let evenCount: Int, oddCount: Int
    /// `[N/4+1, evenCount]` and `[N/4+1, oddCount]` cosine and sine bases.
    private let cosEven: [Float], cosOdd: [Float], sinEven: [Float], sinOdd: [Float]

    /// `size` must be a multiple of 4; `window` (length <= size) is centred in the frame as
    /// librosa's `pad_center` does.
    init(size: Int, window: [Float]) {
        precondition(size % 4 == 0 && window.count <= size)
        self.size = size
        let offset = (size - window.count) / 2
        var full = [Float](repeating: 0, count: size)
        full.replaceSubrange(offset ..< offset + window.count, with: window)
        self.window = full
        let centre = size / 2
        let reach = min(centre, max(centre - offset, offset + window.count - 1 - centre))
        self.reach = reach
        evenCount = reach / 2 + 1
        oddCount = (reach + 1) / 2
        let rows = size / 4 + 1
        func basis(_ count: Int, parity: Int, _ f: (Int, Int, Int) -> Double) -> [Float] {
            var matrix = [Float](repeating: 0, count: rows * count)
            for k in 0 ..< rows {
                for j in 0 ..< count { matrix[k * count + j] = Float(f(k, 2 * j + parity, size)) }
            }
            return matrix
        }
        cosEven = basis(evenCount, parity: 0, SpectralBasis.cosTurn)
        cosOdd = basis(oddCount, parity: 1, SpectralBasis.cosTurn)
        sinEven = basis(evenCount, parity: 0, SpectralBasis.sinTurn)
        sinOdd = basis(oddCount, parity: 1, SpectralBasis.sinTurn)
    }

    /// Number of output bins, `N/2 + 1`.
    var binCount: Int { size / 2 + 1 }

    /// Writes `|DFT(window * frame_t)|^2` for frames starting at `signal + t * hop`,
    /// `t < frames`, into `power` as `[N/2+1, frames]` row-major.
    func power(of signal: UnsafePointer<Float>, hop: Int, frames: Int, into power: UnsafeMutablePointer<Float>) {
        let centre = size / 2
        let rows = size / 4 + 1
        // Folded frames, one row per frame: [frames, evenCount] / [frames, oddCount].
        var evenSum = [Float](repeating: 0, count: frames * evenCount)
        var oddSum = [Float](repeating: 0, count: frames * oddCount)
        var evenDiff = [Float](repeating: 0, count: frames * evenCount)
        var oddDiff = [Float](repeating: 0, count: frames * oddCount)
        window.withUnsafeBufferPointer { w in
            for t in 0 ..< frames {
                let x = signal + t * hop
                let mid = x[centre] * w[centre]
                evenSum[t * evenCount] = mid
                for m in 1 ... max(1, reach) where m <= reach {
                    let after = m < centre ? x[centre + m] * w[centre + m] : 0
                    let before = x[centre - m] * w[centre - m]
                    let sum = after + before
                    let difference = m < centre ? after - before : 0
                    if m & 1 == 0 {
                        evenSum[t * evenCount + m / 2] = sum
                        evenDiff[t * evenCount + m / 2] = difference
                    } else {
                        oddSum[t * oddCount + m / 2] = sum
                        oddDiff[t * oddCount + m / 2] = difference
                    }
                }
            }
        }
        // A/B: cosine products of even/odd m; C/D: sine products. Each [rows, frames].
        var a = [Float](repeating: 0, count: rows * frames), b = a, c = a, d = a
        func product(_ basis: [Float], _ folded: [Float], _ count: Int, _ out: inout [Float]) {
            guard count > 0 else { return }
            basis.withUnsafeBufferPointer { basis in
                folded.withUnsafeBufferPointer { folded in
                    out.withUnsafeMutableBufferPointer { out in
                        BLAS.sgemm(transposeB: true, m: rows, n: frames, k: count,
                                   a: basis.baseAddress!, lda: count, b: folded.baseAddress!, ldb: count,
                                   c: out.baseAddress!, ldc: frames)
                    }
                }
            }
        }
        product(cosEven, evenSum, evenCount, &a)
        product(cosOdd, oddSum, oddCount, &b)
        product(sinEven, evenDiff, evenCount, &c)
        product(sinOdd, oddDiff, oddCount, &d)
        // Bin k = (A+B, C+D); bin N/2-k = (A-B, D-C).
        for k in 0 ..< rows {
            let low = power + k * frames, high = power + (centre - k) * frames
            for t in 0 ..< frames {
                let i = k * frames + t
                let re1 = a[i] + b[i], im1 = c[i] + d[i]
                let re2 = a[i] - b[i], im2 = d[i] - c[i]
                low[t] = re1 * re1 + im1 * im1
                high[t] = re2 * re2 + im2 * im2
            }
        }
    }
}
