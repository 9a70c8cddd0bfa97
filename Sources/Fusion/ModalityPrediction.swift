/// Which sense a prediction came from.
public enum Modality: String, Codable, Sendable, CaseIterable {
    case audio, video
}

/// One modality's softmax output over the eight classes.
///
/// A model that cannot output some classes (the FER2013 facial model has no "calm") reports
/// them as unsupported; their probability is 0 here and fusion takes them from other modalities.
public struct ModalityPrediction: Sendable, Equatable {
    public var modality: Modality
    /// Eight probabilities in `Emotion` order; they sum to 1 over the supported classes.
    public var probabilities: [Float]
    /// Per class: can this model output it at all?
    public var supported: [Bool]
    /// Identifier of the model that produced it (its file's `model_id` metadata).
    public var modelID: String

    public init(modality: Modality, probabilities: [Float], supported: [Bool]? = nil, modelID: String) {
        precondition(probabilities.count == Emotion.count, "need \(Emotion.count) probabilities")
        self.modality = modality
        self.probabilities = probabilities
        self.supported = supported ?? Array(repeating: true, count: Emotion.count)
        self.modelID = modelID
    }

    /// The most probable supported class.
    public var emotion: Emotion { Emotion(index: argmax(probabilities))! }
    /// Probability of `emotion`.
    public var confidence: Float { probabilities[emotion.index] }
}

/// Index of the largest value (the first one on ties).
public func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
