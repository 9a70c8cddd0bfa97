import Foundation

/// Why intake refused a payload; becomes an ``ErrorEvent`` on `<prefix>/errors`.
public struct IntakeRejection: Error, Equatable, Sendable, CodedError {
    public var device: String?
    public var clipID: String?
    public var code: String
    public var message: String

    /// The error event to publish (and store).
    public func event(at date: Date) -> ErrorEvent {
        ErrorEvent(device: device, clipID: clipID, code: code, message: message, at: date)
    }
}
