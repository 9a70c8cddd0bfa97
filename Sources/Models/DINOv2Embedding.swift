/// One image's DINOv2 embeddings, both after the final LayerNorm.
public struct DINOv2Embedding: Sendable, Equatable {
    /// The class token, `[384]`.
    public var cls: [Float]
    /// The mean of the patch tokens, `[384]`.
    public var patchMean: [Float]
}
