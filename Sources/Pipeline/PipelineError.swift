import Foundation
import Media

/// Why a clip could not be classified. `code` is the stable string of the `code` field in
/// `emotiond/errors` events and in metrics labels.
public struct PipelineError: Error, CustomStringConvertible, Equatable, Sendable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// Decoding failed (the media code is kept: `truncated_or_corrupt`, `too_large`...).
    static func media(_ error: MediaError) -> PipelineError {
        PipelineError(code: error.code.rawValue, message: error.message)
    }

    /// Neither an audible audio track nor a face in any frame.
    static func nothingToClassify(_ detail: String) -> PipelineError {
        PipelineError(code: "no_usable_signal", message: detail)
    }

    /// A model or the face detector could not be loaded (a start-up, configuration problem).
    public static func setup(_ message: String) -> PipelineError {
        PipelineError(code: "setup", message: message)
    }
}
