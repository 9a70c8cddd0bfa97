/// Errors raised while loading or running the facial models (mini-XCEPTION, DINOv2).
public enum FacialModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The weights file could not be read.
    case unreadable(path: String, reason: String)
    /// The file is not a well-formed safetensors file (bad header, offsets, dtype or size).
    case malformedWeights(String)
    /// A tensor the architecture needs is missing or has another shape than the code expects.
    case tensorMismatch(name: String, expected: [Int], found: [Int]?)
    /// The file's metadata or graph describes a model this code does not implement.
    case architectureMismatch(String)
    /// An input image has the wrong size for the model.
    case invalidInput(String)

    /// A stable machine-readable code for error events.
    public var code: String {
        switch self {
        case .unreadable: return "model.unreadable"
        case .malformedWeights: return "model.malformed_weights"
        case .tensorMismatch: return "model.tensor_mismatch"
        case .architectureMismatch: return "model.architecture_mismatch"
        case .invalidInput: return "model.invalid_input"
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .malformedWeights(let message): return "malformed safetensors file: \(message)"
        case .tensorMismatch(let name, let expected, let found):
            return "tensor \(name): expected shape \(expected), found \(found.map { "\($0)" } ?? "nothing")"
        case .architectureMismatch(let message): return "model file does not match this code: \(message)"
        case .invalidInput(let message): return "invalid model input: \(message)"
        }
    }
}
