import Foundation

/// Pointwise and per-row operations.
extension InferenceKernels {
    /// `x[r, c] = x[r, c] * scale[c] + shift[c]` over `rows` rows of `channels`: inference
    /// batch normalisation once its statistics are folded into a scale and a shift.
    public static func channelAffine(_ x: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
                                     scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * channels
            for c in 0..<channels { row[c] = row[c] * scale[c] + shift[c] }
        }
    }

    /// In-place ReLU.
    public static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = max(x[i], 0) }
    }

    /// `x += y`.
    public static func add(_ y: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }

    /// `x[r, c] += scale[c] * y[r, c]`: a residual connection with LayerScale.
    public static func addScaled(_ y: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                                 to x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows {
            let xr = x + r * columns, yr = y + r * columns
            for c in 0..<columns { xr[c] += scale[c] * yr[c] }
        }
    }

    /// Numerically stable softmax of each row, in place.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows {
            let row = x + r * columns
            var peak = -Float.infinity
            for c in 0..<columns { peak = max(peak, row[c]) }
            var sum: Float = 0
            for c in 0..<columns {
                let e = expf(row[c] - peak)
                row[c] = e
                sum += e
            }
            let inverse = 1 / sum
            for c in 0..<columns { row[c] *= inverse }
        }
    }

    /// Exact GELU, `0.5 x (1 + erf(x / sqrt 2))`, in place (DINOv2 uses the erf form).
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let inverseRoot2: Float = 0.70710678118654752
        for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erff(x[i] * inverseRoot2)) }
    }

    /// LayerNorm of each row: `(x - mean) / sqrt(biased variance + epsilon) * weight + bias`,
    /// from `input` into `output` (they may be the same buffer). Two passes (mean, then
    /// squared deviations) keep the variance accurate for rows with a large mean.
    public static func layerNormRows(
        _ input: UnsafePointer<Float>, rows: Int, columns: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, epsilon: Float, output: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let x = input + r * columns, y = output + r * columns
            var sum: Float = 0
            for c in 0..<columns { sum += x[c] }
            let mean = sum / Float(columns)
            var squares: Float = 0
            for c in 0..<columns {
                let d = x[c] - mean
                squares += d * d
            }
            let inverse = 1 / sqrtf(squares / Float(columns) + epsilon)
            for c in 0..<columns { y[c] = (x[c] - mean) * inverse * weight[c] + bias[c] }
        }
    }
}
