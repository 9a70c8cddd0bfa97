import Foundation

/// Maps MQTT topics to devices and back (DESIGN section 4), for one topic prefix.
///
/// Device ids end up in topics we publish, in Home Assistant object ids and in the store, so
/// they are held to a small alphabet: `[A-Za-z0-9_.-]`, 1 to 64 characters, no `..` (plus the
/// optional `intake.device_id_pattern`). That rules out `/ + # NUL` and path tricks.
public struct TopicRouter: Sendable {
    /// First level(s) of every topic, e.g. "emotiond".
    public let prefix: String
    /// Shared-subscription group, or nil for a plain subscription.
    public let sharedGroup: String?
    /// Extra rule device ids must match (`intake.device_id_pattern`), nil for none.
    private let devicePattern: NSRegularExpressionBox?

    /// Longest device id.
    public static let maxDeviceIDLength = 64

    public init(prefix: String = "emotiond", sharedGroup: String? = nil, deviceIDPattern: String? = nil) throws {
        self.prefix = prefix
        self.sharedGroup = sharedGroup
        if let deviceIDPattern {
            do {
                devicePattern = NSRegularExpressionBox(try NSRegularExpression(pattern: deviceIDPattern))
            } catch {
                throw ConfigError(key: "intake.device_id_pattern", kind: .invalidValue,
                                  message: "not a valid regular expression: \(deviceIDPattern)")
            }
        } else {
            devicePattern = nil
        }
    }

    /// A router for `configuration`'s prefix, group and device id pattern.
    public init(configuration: DaemonConfiguration) throws {
        try self.init(prefix: configuration.mqtt.topicPrefix, sharedGroup: configuration.mqtt.sharedGroup,
                      deviceIDPattern: configuration.intake.deviceIDPattern)
    }

    // MARK: Input

    /// Parses `<prefix>/in/<device>/<clip|audio|video>`.
    public func parseInput(_ topic: String) throws -> InboundTopic {
        let head = prefix + "/in/"
        guard topic.hasPrefix(head) else { throw TopicError.notAnInputTopic(topic) }
        let rest = topic.dropFirst(head.count).split(separator: "/", omittingEmptySubsequences: false)
        guard rest.count == 2, let kind = ClipKind(rawValue: String(rest[1])) else {
            throw TopicError.notAnInputTopic(topic)
        }
        let device = String(rest[0])
        try validateDeviceID(device)
        return InboundTopic(device: device, kind: kind)
    }

    /// Throws ``TopicError/invalidDeviceID(_:reason:)`` unless `device` is acceptable.
    public func validateDeviceID(_ device: String) throws {
        if let reason = Self.deviceIDProblem(device) { throw TopicError.invalidDeviceID(device, reason: reason) }
        if let devicePattern, !devicePattern.matches(device) {
            throw TopicError.invalidDeviceID(device, reason: "does not match intake.device_id_pattern")
        }
    }

    /// The fixed device id rules; nil when `device` passes.
    public static func deviceIDProblem(_ device: String) -> String? {
        if device.isEmpty { return "empty" }
        if device.utf8.count > maxDeviceIDLength { return "longer than \(maxDeviceIDLength) characters" }
        for byte in device.utf8 {
            let ok = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2D || byte == 0x2E
            if !ok { return "only A-Z a-z 0-9 _ - . are allowed" }
        }
        if device.contains("..") { return "must not contain \"..\"" }
        return nil
    }

    /// Subscription filters for the input topics (`$share/<group>/...` when a group is set).
    public var inputFilters: [String] {
        let share = sharedGroup.map { "$share/\($0)/" } ?? ""
        return ClipKind.allCases.map { "\(share)\(prefix)/in/+/\($0.rawValue)" }
    }

    /// The input topic a device publishes `kind` on (for tools and tests).
    public func inputTopic(device: String, kind: ClipKind) -> String { "\(prefix)/in/\(device)/\(kind.rawValue)" }

    // MARK: Output

    /// One JSON ``EmotionEvent`` per clip.
    public func emotionTopic(device: String) -> String { "\(prefix)/\(device)/emotion" }
    /// Retained dominant emotion over the state window.
    public func stateTopic(device: String) -> String { "\(prefix)/\(device)/state" }
    /// Episode events (new / update / end).
    public var eventsTopic: String { "\(prefix)/events" }
    /// Error events for rejected or failed payloads.
    public var errorsTopic: String { "\(prefix)/errors" }
    /// Retained `online` / `offline`; `offline` is the last will.
    public var availabilityTopic: String { "\(prefix)/available" }
    /// Periodic statistics.
    public var statsTopic: String { "\(prefix)/stats" }

    // MARK: Rules for configured topic parts

    /// Why `level` cannot be used as a configured topic part (prefix, group); nil when fine.
    public static func problem(withTopicLevel level: String, allowSlash: Bool) -> String? {
        if level.isEmpty { return "must not be empty" }
        if level.utf8.count > 200 { return "must be at most 200 bytes" }
        if level.contains("+") || level.contains("#") || level.contains("\u{0}") {
            return "must not contain +, # or NUL"
        }
        if level.hasPrefix("$") { return "must not start with $" }
        if allowSlash {
            if level.hasPrefix("/") || level.hasSuffix("/") || level.contains("//") {
                return "must not start or end with / or contain //"
            }
        } else if level.contains("/") {
            return "must not contain /"
        }
        return nil
    }
}

/// NSRegularExpression is immutable and thread-safe but not marked Sendable.
struct NSRegularExpressionBox: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }
    func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
