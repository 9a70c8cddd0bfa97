import Foundation
import Fusion

/// Builds every message of the MQTT contract (docs/MQTT.md) with its topic, QoS and retain
/// flag, so the publisher side only sends.
public struct MessageFactory: Sendable {
    public let router: TopicRouter

    public init(router: TopicRouter) { self.router = router }

    /// `<prefix>/<device>/emotion`, QoS 1, not retained. One per clip, so it uses the event's own
    /// writer (`EmotionEvent.wireJSON()`, same bytes as `WireJSON.encoder`, far cheaper).
    public func emotion(_ event: EmotionEvent) throws -> OutboundMessage {
        OutboundMessage(topic: router.emotionTopic(device: event.device), payload: try event.wireJSON())
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
