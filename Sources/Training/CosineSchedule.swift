import Foundation

/// The learning-rate schedule both trainers use: cosine decay from the peak to 5 % of it over
/// the whole run, updated every mini-batch.
enum CosineSchedule {
    /// Learning rate at `progress` (0 at the first batch, approaching 1 at the last).
    static func learningRate(peak: Float, progress: Double) -> Float {
        peak * Float(0.05 + 0.95 * 0.5 * (1 + cos(Double.pi * progress)))
    }
}
