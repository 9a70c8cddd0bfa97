import Foundation

/// Band-limited resampling by an arbitrary ratio with a windowed-sinc kernel.
///
/// Why our own: pitch shifting needs non-integer ratios (2^(n/12)); libswresample lives in
/// Media and would make Audio depend on FFmpeg. The kernel is tabulated once (linear
/// interpolation between 512 points per zero crossing), so each output sample is a short dot
/// product. When downsampling the cut-off follows the ratio, so no aliasing is folded in.
struct SincResampler: Sendable {
    /// Zero crossings of the sinc on each side of the centre.
    let zeroCrossings: Int
    /// Fraction of the (lower) Nyquist frequency kept, leaving a transition band.
    let rolloff: Double
    private let tableResolution = 512
    /// sinc(u) * Blackman(u / zeroCrossings) for u in [0, zeroCrossings], step 1/tableResolution.
    private let table: [Float]

    init(zeroCrossings: Int = 16, rolloff: Double = 0.95) {
        self.zeroCrossings = zeroCrossings
        self.rolloff = rolloff
        let count = zeroCrossings * tableResolution + 2
        let resolution = Double(tableResolution)
        table = (0 ..< count).map { i -> Float in
            let u = Double(i) / resolution
            guard u < Double(zeroCrossings) else { return 0 }
            let sinc = u == 0 ? 1 : sin(Double.pi * u) / (Double.pi * u)
            let x = 0.5 + 0.5 * u / Double(zeroCrossings)  // Blackman, centred at u = 0
            let blackman = 0.42 - 0.5 * cos(2 * Double.pi * x) + 0.08 * cos(4 * Double.pi * x)
            return Float(sinc * blackman)
        }
    }

    /// Resamples so that `ratio` output samples are produced per input sample;
    /// output length `ceil(samples.count * ratio)`.
    func resample(_ samples: [Float], ratio: Double) -> [Float] {
        precondition(ratio > 0 && ratio.isFinite)
        let outputCount = Int((Double(samples.count) * ratio).rounded(.up))
        guard !samples.isEmpty, outputCount > 0 else { return [Float](repeating: 0, count: max(0, outputCount)) }
        let cutoff = rolloff * min(1, ratio)
        let halfWidth = Double(zeroCrossings) / cutoff
        let tableStep = cutoff * Double(tableResolution)
        let gain = Float(cutoff)
        var out = [Float](repeating: 0, count: outputCount)
        samples.withUnsafeBufferPointer { x in
            table.withUnsafeBufferPointer { kernel in
                let last = x.count - 1
                for m in 0 ..< outputCount {
                    let centre = Double(m) / ratio
                    let first = max(0, Int((centre - halfWidth).rounded(.up)))
                    let end = min(last, Int((centre + halfWidth).rounded(.down)))
                    if first > end { continue }
                    var sum: Float = 0
                    for n in first ... end {
                        let position = abs(centre - Double(n)) * tableStep
                        let index = Int(position)
                        let fraction = Float(position - Double(index))
                        let weight = kernel[index] + fraction * (kernel[index + 1] - kernel[index])
                        sum += x[n] * weight
                    }
                    out[m] = sum * gain
                }
            }
        }
        return out
    }
}
