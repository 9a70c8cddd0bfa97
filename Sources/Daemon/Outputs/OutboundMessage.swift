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
