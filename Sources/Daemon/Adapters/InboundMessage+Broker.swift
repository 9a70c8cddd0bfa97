import Broker
import Foundation

extension InboundMessage {
    /// The daemon's view of a message the broker delivered.
    public init(_ message: IncomingMessage, receivedAt: Date = Date()) {
        self.init(topic: message.topic, payload: Data(message.payload), userProperties: message.userProperties,
                  correlationData: message.correlationData.map { Data($0) }, receivedAt: receivedAt)
    }
}
