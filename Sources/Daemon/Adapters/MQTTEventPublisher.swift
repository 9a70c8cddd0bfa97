import Broker
import Foundation

/// ``EventPublishing`` over the Broker module's `MQTTClient`.
///
/// `MQTTClient.publish` only queues the message for libmosquitto's network thread, so this
/// never blocks. While the broker is away, QoS 1 messages wait in libmosquitto's queue (bounded
/// by `mqtt.max_queued_messages`; beyond it `publish` throws `queue-full`, which the engine
/// logs and counts by keeping the clip's spool entry); QoS 0 messages (stats) are dropped.
public final class MQTTEventPublisher: EventPublishing, @unchecked Sendable {
    public let client: MQTTClient

    public init(client: MQTTClient) { self.client = client }

    public func publish(_ message: OutboundMessage) async throws {
        try client.publish(topic: message.topic, payload: [UInt8](message.payload), qos: message.qos, retain: message.retain)
    }
}

extension InboundMessage {
    /// The daemon's view of a message the broker delivered.
    public init(_ message: IncomingMessage, receivedAt: Date = Date()) {
        self.init(topic: message.topic, payload: Data(message.payload), userProperties: message.userProperties,
                  correlationData: message.correlationData.map { Data($0) }, receivedAt: receivedAt)
    }
}

extension MQTTConfiguration {
    /// The client settings for a daemon configuration: persistent session under the stable
    /// client id, credentials, TLS, backoff, bounded outgoing queue and `will` (the engine's
    /// `available` = offline, retained).
    ///
    /// - Throws: ``ConfigError`` for an unreadable `mqtt.password_file`.
    public init(daemon c: DaemonConfiguration, will: OutboundMessage) throws {
        self.init(
            host: c.mqtt.host, port: c.mqtt.port, clientID: c.mqtt.effectiveClientID, keepalive: c.mqtt.keepaliveS,
            protocolVersion: c.mqtt.protocolVersion == .v5 ? .v5 : .v311,
            cleanSession: false, username: c.mqtt.username, password: try c.mqtt.resolvedPassword(),
            tls: c.mqtt.tls.caFile.map { MQTTConfiguration.TLS(caFile: $0, certFile: c.mqtt.tls.certFile, keyFile: c.mqtt.tls.keyFile) },
            will: MQTTConfiguration.Will(topic: will.topic, payload: [UInt8](will.payload), qos: will.qos, retain: will.retain),
            backoff: MQTTConfiguration.Backoff(initial: c.mqtt.reconnect.initialS, maximum: c.mqtt.reconnect.maxS),
            maxQueuedMessages: c.mqtt.maxQueuedMessages)
    }
}
