/// Why an input topic was refused. `code` is the `code` of the error event.
public enum TopicError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not `<prefix>/in/<device>/<clip|audio|video>`.
    case notAnInputTopic(String)
    /// The device level breaks the device id rules.
    case invalidDeviceID(String, reason: String)

    public var code: String {
        switch self {
        case .notAnInputTopic: return "bad_topic"
        case .invalidDeviceID: return "bad_device_id"
        }
    }

    public var description: String {
        switch self {
        case .notAnInputTopic(let t): return "not an input topic: \(t)"
        case .invalidDeviceID(let d, let reason): return "invalid device id \"\(d)\": \(reason)"
        }
    }
}
