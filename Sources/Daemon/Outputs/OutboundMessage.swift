import Foundation
import Fusion

/// One MQTT message the daemon publishes: what ``EventPublishing`` sends.
public struct OutboundMessage: Equatable, Sendable {
    public var topic: String
    public var payload: Data
    /// 0 or 1 (the daemon never uses 2).
    public var qos: Int
    public var retain: Bool

    public init(topic: String, payload: Data, qos: Int = 1, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

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

/// Error codes the daemon itself assigns (others come from ``IntakeRejection``, ``SpoolError``,
/// ``TopicError`` and the ``CodedError``s of the media and model modules). docs/MQTT.md lists them.
public enum DaemonErrorCode {
    /// The work queue was full under `reject_new`: the new clip was refused.
    public static let queueFull = "queue_full"
    /// The work queue was full under `drop_oldest`: this queued clip was evicted.
    public static let dropped = "dropped"
    /// Processing failed with an error that has no code of its own.
    public static let processingFailed = "processing_failed"

    /// The code for any error: its own when it is a ``CodedError``, else ``processingFailed``.
    public static func code(for error: Error) -> String {
        (error as? CodedError)?.code ?? processingFailed
    }
}

extension SpoolError: CodedError {}
extension TopicError: CodedError {}

/// Builds every message of the MQTT contract (docs/MQTT.md) with its topic, QoS and retain
/// flag, so the publisher side only sends.
public struct MessageFactory: Sendable {
    public let router: TopicRouter

    public init(router: TopicRouter) { self.router = router }

    /// `<prefix>/<device>/emotion`, QoS 1, not retained.
    public func emotion(_ event: EmotionEvent) throws -> OutboundMessage {
        OutboundMessage(topic: router.emotionTopic(device: event.device), payload: try WireJSON.encoder.encode(event))
    }

    /// `<prefix>/<device>/state`, QoS 1, retained (a new subscriber sees the latest state).
    public func state(_ snapshot: DeviceStateSnapshot) throws -> OutboundMessage {
        OutboundMessage(topic: router.stateTopic(device: snapshot.device), payload: try WireJSON.encoder.encode(snapshot),
                        retain: true)
    }

    /// `<prefix>/events`, QoS 1, not retained.
    public func episode(_ event: EpisodeEvent) throws -> OutboundMessage {
        OutboundMessage(topic: router.eventsTopic, payload: try WireJSON.encoder.encode(event))
    }

    /// `<prefix>/errors`, QoS 1, not retained.
    public func error(_ event: ErrorEvent) throws -> OutboundMessage {
        OutboundMessage(topic: router.errorsTopic, payload: try WireJSON.encoder.encode(event))
    }

    /// `<prefix>/available`, QoS 1, retained: "online" after connecting. The same topic with
    /// "offline" is the last will (``lastWill``).
    public func availability(online: Bool) -> OutboundMessage {
        OutboundMessage(topic: router.availabilityTopic, payload: Data((online ? "online" : "offline").utf8), retain: true)
    }

    /// The last will to register when connecting.
    public var lastWill: OutboundMessage { availability(online: false) }

    /// `<prefix>/stats`, QoS 0 (the next one follows soon), not retained.
    public func stats(_ snapshot: StatsCollector.Snapshot) throws -> OutboundMessage {
        OutboundMessage(topic: router.statsTopic, payload: try WireJSON.encoder.encode(snapshot), qos: 0)
    }
}
