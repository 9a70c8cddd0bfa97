import Broker
import Foundation

/// ``EventPublishing`` over the Broker module's `MQTTClient`.
///
/// `MQTTClient.publish` only queues the message for libmosquitto's network thread. While the
/// broker is away, QoS 1 messages wait in libmosquitto's queue (bounded by
/// `mqtt.max_queued_messages`; beyond it `publish` throws `queue-full`, which the engine logs
/// and counts by keeping the clip's spool entry); QoS 0 messages (stats) are dropped. While
/// the broker is connected but the queue is full (a flood: one error event per refused clip),
/// `publish` waits for room for up to `congestionTimeoutS` (``OutgoingQueueGate``) rather than
/// losing the message.
public final class MQTTEventPublisher: EventPublishing, @unchecked Sendable {
    public let client: MQTTClient
    /// Longest wait for room in a full outgoing queue while connected. Default 30 s.
    public let congestionTimeoutS: Double
    private let gate: OutgoingQueueGate

    public init(client: MQTTClient, congestionTimeoutS: Double = 30) {
        self.client = client
        self.congestionTimeoutS = congestionTimeoutS
        let capacity = client.configuration.maxQueuedMessages
        gate = OutgoingQueueGate { [client] in
            client.isConnected ? capacity - client.statistics.outstandingPublishes : nil
        }
    }

    public func publish(_ message: OutboundMessage) async throws {
        let payload = [UInt8](message.payload)
        let deadline = Date().addingTimeInterval(congestionTimeoutS)
        while true {
            do {
                try client.publish(topic: message.topic, payload: payload, qos: message.qos, retain: message.retain)
                return
            } catch let error as BrokerError where error.code == .queueFull && client.isConnected && Date() < deadline {
                guard await gate.waitForRoom(until: deadline) else { throw error }
            }
        }
    }
}
