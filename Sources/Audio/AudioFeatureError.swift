/// Errors raised by the Audio module. Each case says what was wrong and carries the values
/// needed to fix the call site.
public enum AudioFeatureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An ``AudioFeatureConfig`` whose settings cannot produce features (the message names the
    /// offending setting).
    case invalidConfiguration(String)
    /// A configuration JSON (for instance from a model file's metadata) that does not decode.
    case undecodableConfiguration(String)
    /// A numeric argument outside its meaningful range (the message names it).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): "invalid audio feature configuration: \(message)"
        case .undecodableConfiguration(let message): "audio feature configuration JSON does not decode: \(message)"
        case .invalidArgument(let message): "invalid argument: \(message)"
        }
    }
}
