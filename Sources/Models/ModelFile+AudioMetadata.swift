/// Provenance of an audio model, stored in its file's `__metadata__`.
///
/// The shape-determining settings (architecture, feature count, input frames, dropout) and the
/// label order are taken from the network itself when saving; this struct holds what the
/// network cannot know: where its features came from and how it was trained and measured.
/// `featureConfig`, `trainingProtocol` and `accuracy` are JSON strings owned by their producers
/// (the audio feature module and the trainer); only `featureConfig` is interpreted, to refuse a
/// model whose features do not match the ones this build computes.
public struct AudioModelMetadata: Sendable, Equatable {
    /// Stable identifier reported with every prediction (`model_id`), e.g. "audio-compact-2026-11-26".
    public var modelID: String
    /// The feature extractor's settings as JSON (`feature_config`), compared on load.
    public var featureConfig: String
    /// Hash of the training data manifest (`training_data_hash`), free-form.
    public var trainingDataHash: String
    /// How the model was trained and evaluated (`protocol`), JSON, free-form.
    public var trainingProtocol: String
    /// Measured accuracy (`accuracy`), JSON, free-form (e.g. fold means, macro-F1).
    public var accuracy: String
    /// Any other string entries to keep in the file (keys must not clash with the reserved ones).
    public var extra: [String: String]

    public init(modelID: String, featureConfig: String, trainingDataHash: String = "",
                trainingProtocol: String = "{}", accuracy: String = "{}", extra: [String: String] = [:]) {
        self.modelID = modelID
        self.featureConfig = featureConfig
        self.trainingDataHash = trainingDataHash
        self.trainingProtocol = trainingProtocol
        self.accuracy = accuracy
        self.extra = extra
    }
}
