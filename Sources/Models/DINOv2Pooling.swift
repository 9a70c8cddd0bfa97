/// Which DINOv2 output stands for a frame.
public enum DINOv2Pooling: Sendable, Equatable {
    /// The class token (the usual image embedding).
    case cls
    /// The mean of the patch tokens.
    case patchMean
}
