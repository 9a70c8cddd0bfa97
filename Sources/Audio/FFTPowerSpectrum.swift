import CFFmpeg

/// Power spectra of windowed frames with FFmpeg's real FFT (libavutil `av_tx`, SIMD kernels
/// chosen at run time for the CPU).
///
/// Why an FFT from FFmpeg: the STFT is the largest step of the feature extractor, an N log N
/// FFT does about a tenth of the arithmetic of the DFT-as-matrix-product it replaced, and
/// libavutil is already linked for decoding (no new dependency).
///
/// A value type holding only the window; each `power` call makes and frees its own transform
/// context, because an `AVTXContext` may keep scratch state and extractors are shared between
/// threads. Making one for N = 512 costs a few microseconds.
struct FFTPowerSpectrum: Sendable {
    let size: Int
    /// The analysis window spread over the whole N-point frame (zeros outside its taps), as
    /// librosa's `pad_center` places it.
    private let window: [Float]

    /// `size` must be a power of two >= 4 (``AudioFeatureConfig`` checks it); `window`
    /// (length <= size) is centred in the frame.
    init(size: Int, window: [Float]) {
        precondition(size >= 4 && size & (size - 1) == 0 && window.count <= size)
        self.size = size
        let offset = (size - window.count) / 2
        var full = [Float](repeating: 0, count: size)
        full.replaceSubrange(offset ..< offset + window.count, with: window)
        self.window = full
    }

    /// Number of output bins, `N/2 + 1`.
    var binCount: Int { size / 2 + 1 }

    /// Writes `|DFT(window * frame_t)|^2` for frames starting at `signal + t * hop`,
    /// `t < frames`, into `power` as `[N/2+1, frames]` row-major.
    func power(of signal: UnsafePointer<Float>, hop: Int, frames: Int, into power: UnsafeMutablePointer<Float>) {
        var context: OpaquePointer?
        var transform: av_tx_fn?
        var scale: Float = 1
        let status = av_tx_init(&context, &transform, AV_TX_FLOAT_RDFT, 0, Int32(size), &scale, 0)
        guard status >= 0, let context, let transform else {
            // Only an allocation failure gets here: every power of two is a valid size.
            fatalError("av_tx_init(RDFT, \(size)) failed: \(status)")
        }
        defer { var owned: OpaquePointer? = context; av_tx_uninit(&owned) }
        // av_tx wants buffers aligned for its SIMD kernels: av_malloc gives that.
        let input = av_malloc(size * MemoryLayout<Float>.size)!.assumingMemoryBound(to: Float.self)
        let bins = binCount
        let output = av_malloc(2 * bins * MemoryLayout<Float>.size)!.assumingMemoryBound(to: Float.self)
        defer { av_free(input); av_free(output) }
        window.withUnsafeBufferPointer { w in
            for t in 0 ..< frames {
                let x = signal + t * hop
                for n in 0 ..< size { input[n] = x[n] * w[n] }
                transform(context, output, input, MemoryLayout<Float>.stride)
                for k in 0 ..< bins {
                    let re = output[2 * k], im = output[2 * k + 1]
                    power[k * frames + t] = re * re + im * im
                }
                // DC and Nyquist are real for a real input; libavutil 57 does not always write
                // their (zero) imaginary parts, so those slots may hold stale memory.
                power[t] = output[0] * output[0]
                power[(bins - 1) * frames + t] = output[2 * (bins - 1)] * output[2 * (bins - 1)]
            }
        }
    }
}
