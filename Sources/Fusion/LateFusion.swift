/// Late fusion as in Srihari & Bhaskaran 2024: average the modalities' softmax vectors and
/// take the argmax, made class-aware (DESIGN section 2).
///
/// For each class the average runs over the modalities that can output that class, so a class
/// one model lacks ("calm" for the facial model) is neither halved nor dropped. The fused
/// vector is then renormalised to sum to 1.
public enum LateFusion {
    /// Fuses whatever modalities are present. Returns nil when there are none.
    public static func fuse(_ predictions: [ModalityPrediction]) -> FusedPrediction? {
        guard !predictions.isEmpty else { return nil }
        var fused = [Float](repeating: 0, count: Emotion.count)
        for c in 0..<Emotion.count {
            let voters = predictions.filter { $0.supported[c] }
            guard !voters.isEmpty else { continue }
            fused[c] = voters.reduce(0) { $0 + $1.probabilities[c] } / Float(voters.count)
        }
        let total = fused.reduce(0, +)
        if total > 0 { fused = fused.map { $0 / total } }
        return FusedPrediction(probabilities: fused, modalities: predictions.map(\.modality))
    }
}

/// The fused result of one clip.
public struct FusedPrediction: Sendable, Equatable {
    /// Eight probabilities in `Emotion` order, summing to 1.
    public var probabilities: [Float]
    /// The modalities that contributed, in the order given.
    public var modalities: [Modality]

    public var emotion: Emotion { Emotion(index: argmax(probabilities))! }
    public var confidence: Float { probabilities[emotion.index] }
}
