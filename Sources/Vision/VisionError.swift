/// Errors raised by face detection and cropping. Each case says what to fix.
public enum VisionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No Haar cascade file was found. `searched` lists every path tried, in order; install the
    /// Debian package `opencv-data` or set the cascade path in the configuration.
    case cascadeNotFound(searched: [String])
    /// The file exists but OpenCV could not load it as a cascade classifier.
    case cascadeUnreadable(path: String)
    /// An image had impossible dimensions or a byte count that does not match them.
    case invalidImage(String)
    /// A configuration value is out of range (e.g. a scale factor <= 1 or an output size of 0).
    case invalidConfiguration(String)
    /// OpenCV reported a failure; `operation` names the call, `code` is the COCV_ERR_* value.
    case openCVFailure(operation: String, code: Int32)

    /// A stable machine-readable code, suitable for the `code` field of an error event.
    public var code: String {
        switch self {
        case .cascadeNotFound: return "vision.cascade_not_found"
        case .cascadeUnreadable: return "vision.cascade_unreadable"
        case .invalidImage: return "vision.invalid_image"
        case .invalidConfiguration: return "vision.invalid_configuration"
        case .openCVFailure: return "vision.opencv_failure"
        }
    }

    public var description: String {
        switch self {
        case .cascadeNotFound(let searched):
            return "Haar cascade not found (searched: \(searched.joined(separator: ", "))); "
                + "install opencv-data or configure the cascade path"
        case .cascadeUnreadable(let path):
            return "\(path) is not a loadable OpenCV cascade classifier"
        case .invalidImage(let message):
            return "invalid image: \(message)"
        case .invalidConfiguration(let message):
            return "invalid vision configuration: \(message)"
        case .openCVFailure(let operation, let code):
            return "OpenCV \(operation) failed (code \(code))"
        }
    }
}
