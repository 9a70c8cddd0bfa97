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
