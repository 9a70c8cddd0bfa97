import Foundation

/// The body of `<prefix>/errors`: one per rejected payload or failed clip.
public struct ErrorEvent: Codable, Equatable, Sendable {
    /// The device from the topic; nil when the topic itself was unusable.
    public var device: String?
    /// The clip id, when one was known or generated.
    public var clipID: String?
    /// Stable machine-readable code (`payload_too_large`, `bad_device_id`, `decode_failed`, ...).
    public var code: String
    /// Human-readable detail.
    public var message: String
    public var at: Date

    public init(device: String?, clipID: String?, code: String, message: String, at: Date) {
        self.device = device
        self.clipID = clipID
        self.code = code
        self.message = message
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case device, code, message, at
        case clipID = "clip_id"
    }

    // Encode nulls explicitly so consumers always see every key.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(device, forKey: .device)
        try c.encode(clipID, forKey: .clipID)
        try c.encode(code, forKey: .code)
        try c.encode(message, forKey: .message)
        try c.encode(at, forKey: .at)
    }
}
