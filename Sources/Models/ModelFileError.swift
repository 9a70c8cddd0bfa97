import Foundation

/// Why a model could not be loaded, saved or run.
///
/// `code` is stable and machine-readable (it becomes the `code` of an `emotiond/errors` event);
/// `message` says what differs or what is wrong in words a user can act on, for example
/// "feature_config differs from what this build computes: n_mfcc: file 13, expected 40".
public struct ModelError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// Machine-readable failure kinds.
    public enum Code: String, Sendable {
        /// The file could not be read or is not a valid safetensors file.
        case unreadable = "model_unreadable"
        /// The file is safetensors but not an emotiond model of the expected kind/version.
        case formatMismatch = "model_format_mismatch"
        /// The metadata names another (or an unknown) architecture.
        case architectureMismatch = "model_architecture_mismatch"
        /// The label order in the file is not `Emotion.allCases`.
        case labelMismatch = "model_label_mismatch"
        /// The file was trained on features computed with other settings.
        case featureConfigMismatch = "model_feature_config_mismatch"
        /// A tensor is missing, unexpected, of the wrong shape, or not finite.
        case tensorMismatch = "model_tensor_mismatch"
        /// Required metadata is missing or malformed.
        case invalidMetadata = "model_invalid_metadata"
        /// The input given to the model has the wrong shape or non-finite values.
        case invalidInput = "model_invalid_input"
        /// The file could not be written.
        case writeFailed = "model_write_failed"
    }

    public var code: Code
    public var message: String
    /// The model file involved, when there is one.
    public var path: String?

    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String {
        "\(code.rawValue): \(message)" + (path.map { " (\($0))" } ?? "")
    }

    public var errorDescription: String? { description }
}
